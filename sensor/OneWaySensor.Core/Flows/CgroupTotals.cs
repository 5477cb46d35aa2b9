namespace OneWaySensor.Flows;

/// <summary>All traffic of one cgroup since the sensor started.</summary>
public struct CgroupTotals
{
    public FlowCounters Tx;
    public FlowCounters Rx;
    public ulong Flows;
}
