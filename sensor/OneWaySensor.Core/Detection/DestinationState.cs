using OneWaySensor.Detection.Scoring;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection;

/// <summary>
/// What the detections remember of one destination of one cgroup across
/// polls: its contacts (one per connection, and one per burst of bytes after
/// silence inside long-lived flows) for beacon scoring, and when it was
/// first contacted.
/// </summary>
internal sealed class DestinationState(DestinationKey key)
{
    public DestinationKey Key { get; } = key;

    public long FirstSeenUnixNs { get; set; } = long.MaxValue;

    public long LastSeenUnixNs { get; set; }

    /// <summary>One contact per connection (flow) to the destination.</summary>
    public ContactSeries Connections { get; } = new();

    /// <summary>One contact per burst after silence, across the destination's flows.</summary>
    public ContactSeries Bursts { get; } = new();

    /// <summary>Whether the table holds a flow to it now (else it is forgotten once silent long enough).</summary>
    public bool Active => Flows.Count > 0;

    /// <summary>
    /// The flows behind the destination now, each as of its last change: kept
    /// up to date from the table's change log, in no particular order. Most
    /// destinations have one, and a flow is 300 bytes.
    /// </summary>
    public List<FlowState> Flows { get; } = new(1);

    /// <summary>Its place in its cgroup's list of active destinations, while active.</summary>
    public int CgroupIndex { get; set; }

    public ulong PendingTxBytes { get; set; }

    /// <summary>The engine let it go: a flow's memo that still names it must look its destination up again.</summary>
    public bool Forgotten { get; set; }

    /// <summary>exec_then_egress already judged this destination against an exec: once is enough.</summary>
    public bool ExecReported { get; set; }
}
