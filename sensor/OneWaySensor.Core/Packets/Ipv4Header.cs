namespace OneWaySensor.Packets;

/// <summary>
/// An IPv4 header (RFC 791):
///
///   0 version(4 bits) IHL(4 bits, in 4-byte words) | 1 TOS | 2 total length(2)
///   4 identification(2) | 6 flags(3 bits) fragment offset(13 bits, in 8-byte units)
///   8 TTL | 9 protocol | 10 header checksum(2) | 12 source(4) | 16 destination(4) | 20 options
/// </summary>
internal static class Ipv4Header
{
    public const int MinLength = 20;

    private const int TotalLengthOffset = 2;
    private const int IdentificationOffset = 4;
    private const int FragmentOffset = 6;
    private const int ProtocolOffset = 9;
    private const int AddressesOffset = 12;
    private const int AddressLength = 4;
    private const ushort MoreFragmentsFlag = 0x2000;
    private const ushort FragmentOffsetMask = 0x1FFF;
    private const int FragmentUnit = 8;

    /// <summary>Fills the layer's IP fields; Truncated when the fixed header is cut, Malformed when its lengths contradict it.</summary>
    public static PacketParseResult Parse(ReadOnlySpan<byte> packet, bool verifyChecksum, scoped ref IpLayer layer, out IpPayload payload)
    {
        payload = default;
        if (packet.Length < MinLength)
        {
            return PacketParseResult.Truncated;
        }

        int headerLength = (packet[0] & 0x0F) * 4;
        int totalLength = NetworkOrder.Read16(packet, TotalLengthOffset);

        // segmentation offload: the capture saw the packet before the NIC filled in its length
        if (totalLength == 0)
        {
            totalLength = packet.Length;
        }

        if (headerLength < MinLength || totalLength < headerLength)
        {
            return PacketParseResult.Malformed;
        }

        ushort fragment = NetworkOrder.Read16(packet, FragmentOffset);
        layer.IpVersion = 4;
        layer.Protocol = packet[ProtocolOffset];
        layer.Source = NetworkOrder.Address(packet.Slice(AddressesOffset, AddressLength));
        layer.Destination = NetworkOrder.Address(packet.Slice(AddressesOffset + AddressLength, AddressLength));
        layer.IpBytes = (uint)totalLength;
        layer.MoreFragments = (fragment & MoreFragmentsFlag) != 0;
        layer.FragmentOffset = (uint)(fragment & FragmentOffsetMask) * FragmentUnit;
        layer.IsFragment = layer.MoreFragments || layer.FragmentOffset != 0;
        layer.FragmentId = NetworkOrder.Read16(packet, IdentificationOffset);

        int captured = Math.Min(totalLength, packet.Length);
        bool headerCaptured = captured >= headerLength;
        ChecksumState headerChecksum = !verifyChecksum || !headerCaptured ? ChecksumState.Skipped
            : InternetChecksum.IsValid(packet[..headerLength]) ? ChecksumState.Good
            : ChecksumState.Bad;
        payload = new IpPayload(
            headerCaptured ? packet[headerLength..captured] : default,
            totalLength - headerLength,
            packet.Slice(AddressesOffset, 2 * AddressLength),
            headerChecksum,
            destinationNotFinal: false);
        return PacketParseResult.Ip;
    }
}
