namespace OneWaySensor.Packets;

/// <summary>
/// An IPv6 header and its extension headers (RFC 8200, RFC 4302):
///
///   0 version(4 bits) traffic class(8 bits) flow label(20 bits) | 4 payload length(2) | 6 next header | 7 hop limit
///   8 source(16) | 24 destination(16) | 40 extension headers, then the upper-layer header
///
///   hop-by-hop 0, routing 43, destination options 60: next header(1) length(1, 8-byte units after the first 8) ...
///   routing 43 also: type(1) segments left(1)
///   fragment 44 (8 bytes): next header(1) reserved(1) offset(13 bits, 8-byte units) reserved(2 bits) M(1 bit) | identification(4)
///   AH 51: next header(1) length(1, 4-byte units minus 2) ...
///   59: no next header
/// </summary>
internal static class Ipv6Header
{
    public const int Length = 40;

    private const int PayloadLengthOffset = 4;
    private const int NextHeaderOffset = 6;
    private const int AddressesOffset = 8;
    private const int AddressLength = 16;

    private const byte HopByHop = 0;
    private const byte Routing = 43;
    private const byte Fragment = 44;
    private const byte AuthenticationHeader = 51;
    private const byte DestinationOptions = 60;

    /// <summary>Every extension header is at least this long, and the fields read are within it.</summary>
    private const int ExtensionMinLength = 8;
    private const int SegmentsLeftOffset = 3;
    private const int FragmentWordOffset = 2;
    private const int FragmentIdOffset = 4;
    private const ushort FragmentOffsetMask = 0xFFF8; // 13 bits of 8-byte units, already in place as bytes
    private const ushort MoreFragmentsFlag = 0x0001;

    /// <summary>
    /// Fills the layer's IP fields, walking extension headers to the upper-layer
    /// protocol. Truncated when the fixed header or an extension header is cut,
    /// Malformed when an extension header runs past the declared payload.
    /// </summary>
    public static PacketParseResult Parse(ReadOnlySpan<byte> packet, scoped ref IpLayer layer, out IpPayload payload)
    {
        payload = default;
        if (packet.Length < Length)
        {
            return PacketParseResult.Truncated;
        }

        int payloadLength = NetworkOrder.Read16(packet, PayloadLengthOffset);
        byte next = packet[NextHeaderOffset];

        // a jumbogram, or a capture taken before segmentation offload, declares 0 and carries a hop-by-hop header
        if (payloadLength == 0 && next == HopByHop)
        {
            payloadLength = packet.Length - Length;
        }

        layer.IpVersion = 6;
        layer.Source = NetworkOrder.Address(packet.Slice(AddressesOffset, AddressLength));
        layer.Destination = NetworkOrder.Address(packet.Slice(AddressesOffset + AddressLength, AddressLength));
        layer.IpBytes = (uint)(Length + payloadLength);

        int end = Length + payloadLength;
        int position = Length;
        bool destinationNotFinal = false;
        while (next is HopByHop or Routing or Fragment or DestinationOptions or AuthenticationHeader)
        {
            if (end < position + ExtensionMinLength)
            {
                return PacketParseResult.Malformed;
            }

            if (packet.Length < position + ExtensionMinLength)
            {
                return PacketParseResult.Truncated;
            }

            ReadOnlySpan<byte> extension = packet.Slice(position, ExtensionMinLength);
            int extensionLength = next switch
            {
                Fragment => ExtensionMinLength,
                AuthenticationHeader => (extension[1] + 2) * 4,
                _ => (extension[1] + 1) * 8,
            };

            if (next == Fragment)
            {
                ushort word = NetworkOrder.Read16(extension, FragmentWordOffset);
                layer.FragmentOffset = (uint)(word & FragmentOffsetMask);
                layer.MoreFragments = (word & MoreFragmentsFlag) != 0;
                layer.IsFragment = layer.FragmentOffset != 0 || layer.MoreFragments;
                layer.FragmentId = NetworkOrder.Read32(extension, FragmentIdOffset);
            }
            else if (next == Routing && extension[SegmentsLeftOffset] != 0)
            {
                destinationNotFinal = true;
            }

            next = extension[0];
            position += extensionLength;
            if (position > end)
            {
                return PacketParseResult.Malformed;
            }

            // a later fragment continues the datagram's data: what follows is no header, whatever "next" says
            if (layer.FragmentOffset != 0)
            {
                break;
            }
        }

        layer.Protocol = next;
        int captured = Math.Min(end, packet.Length);
        payload = new IpPayload(
            position <= captured ? packet[position..captured] : default,
            end - position,
            packet.Slice(AddressesOffset, 2 * AddressLength),
            ChecksumState.Absent,
            destinationNotFinal);
        return PacketParseResult.Ip;
    }
}
