namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// What one side of a connection sent, as a flow summary keeps it: counts and
/// the OR of the TCP flags of all its packets. The OR is all the sensor keeps
/// (per-packet order would cost a record per packet), so the classifier
/// knows which flags a side used, never in which order.
/// </summary>
/// <param name="Packets">Packets the side sent.</param>
/// <param name="PayloadBytes">L4 payload the side sent, as Zeek's orig_bytes / resp_bytes.</param>
/// <param name="TcpFlags">OR of the <see cref="Scoring.TcpFlags"/> bits of the side's packets; 0 for UDP and ICMP.</param>
public readonly record struct ConnSide(ulong Packets, ulong PayloadBytes, byte TcpFlags)
{
    /// <summary>
    /// Whether the side sent anything at all. Any of the three counts proves
    /// it, so a summary whose packet counter lagged its flags still counts.
    /// </summary>
    public bool Active => Packets > 0 || PayloadBytes > 0 || TcpFlags != 0;

    /// <summary>Whether every bit of <paramref name="flags"/> was seen from this side.</summary>
    public bool Has(byte flags) => (TcpFlags & flags) == flags;
}
