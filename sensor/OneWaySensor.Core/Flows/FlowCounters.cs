namespace OneWaySensor.Flows;

/// <summary>Counters of one direction of a flow.</summary>
/// <param name="Packets">Packets that crossed the hook.</param>
/// <param name="IpBytes">IP header and everything after it.</param>
/// <param name="PayloadBytes">L4 payload, as Zeek counts orig_bytes and resp_bytes.</param>
public readonly record struct FlowCounters(ulong Packets, ulong IpBytes, ulong PayloadBytes)
{
    public static FlowCounters operator +(FlowCounters left, FlowCounters right) =>
        new(left.Packets + right.Packets, left.IpBytes + right.IpBytes, left.PayloadBytes + right.PayloadBytes);

    /// <summary>
    /// What was added since <paramref name="earlier"/>. A counter that went
    /// down was restarted by its source (the kernel evicted and re-created the
    /// flow), so all of its current value is new.
    /// </summary>
    public FlowCounters Since(FlowCounters earlier) => new(
        Packets >= earlier.Packets ? Packets - earlier.Packets : Packets,
        IpBytes >= earlier.IpBytes ? IpBytes - earlier.IpBytes : IpBytes,
        PayloadBytes >= earlier.PayloadBytes ? PayloadBytes - earlier.PayloadBytes : PayloadBytes);
}
