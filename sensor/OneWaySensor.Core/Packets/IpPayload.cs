namespace OneWaySensor.Packets;

/// <summary>
/// What an IP header says follows it (after IPv6 extension headers), for the
/// transport header and tunnels to read. Valid while the frame is.
/// </summary>
internal readonly ref struct IpPayload(ReadOnlySpan<byte> captured, int length, ReadOnlySpan<byte> addresses, ChecksumState headerChecksum, bool destinationNotFinal)
{
    /// <summary>The upper-layer bytes captured: at most <see cref="Length"/> (link padding is cut off), fewer when the snap length cut the packet.</summary>
    public ReadOnlySpan<byte> Captured { get; } = captured;

    /// <summary>The upper-layer length the IP header declares.</summary>
    public int Length { get; } = length;

    /// <summary>Source then destination address, as transport checksums' pseudo-header sums them.</summary>
    public ReadOnlySpan<byte> Addresses { get; } = addresses;

    public ChecksumState HeaderChecksum { get; } = headerChecksum;

    /// <summary>An IPv6 routing header still has hops to visit: the transport checksum was computed with an address the parser did not read.</summary>
    public bool DestinationNotFinal { get; } = destinationNotFinal;

    public bool IsWhole => Captured.Length == Length;
}
