namespace OneWaySensor.Flows;

/// <summary>All traffic of one cgroup since the sensor started (or, for a cgroup removed and pruned, until then).</summary>
public struct CgroupTotals
{
    public FlowCounters Tx;
    public FlowCounters Rx;
    public ulong Flows;

    /// <summary>Of its flows, those in the table now: a cgroup with none may be pruned once it is gone.</summary>
    public ulong Tracked;
}
