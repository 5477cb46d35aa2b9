namespace OneWaySensor.Pcap;

/// <summary>What a capture source read and what it could not use, each counted: nothing is skipped silently.</summary>
public sealed class CaptureCounters
{
    public ulong Packets { get; internal set; }
    public ulong IpPackets { get; internal set; }
    public ulong NotIp { get; internal set; }
    public ulong Truncated { get; internal set; }
    public ulong Malformed { get; internal set; }
    public ulong UnknownLinkType { get; internal set; }

    /// <summary>Everything skipped that was meant to be IP (truncated, malformed, unknown link type).</summary>
    public ulong Skipped => Truncated + Malformed + UnknownLinkType;
}
