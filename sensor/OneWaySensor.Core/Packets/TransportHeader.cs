namespace OneWaySensor.Packets;

/// <summary>
/// The transport header after an IP header:
///
///   TCP (RFC 9293): source port(2) destination port(2) sequence(4) acknowledgment(4)
///                   data offset(4 bits, in 4-byte words) reserved(4 bits) | flags(1) window(2) checksum(2) urgent(2)
///   UDP (RFC 768):  source port(2) destination port(2) length(2) checksum(2)
///   ICMP, ICMPv6:   type(1) code(1) checksum(2) rest of header(4)
///
/// Payload sizes come from the headers, never from the captured length. A
/// header the snap length cut, or one a later fragment lacks, leaves
/// <see cref="IpLayer.HasTransportHeader"/> false; the layer still counts.
/// </summary>
internal static class TransportHeader
{
    private const int TcpMinLength = 20;
    private const int TcpSequenceOffset = 4;
    private const int TcpAcknowledgmentOffset = 8;
    private const int TcpDataOffsetOffset = 12;
    private const int TcpFlagsOffset = 13;
    private const int UdpLength = 8;
    private const int UdpLengthOffset = 4;
    private const int UdpChecksumOffset = 6;
    private const int IcmpLength = 8;

    /// <summary>Fills the layer's transport fields; Malformed when a whole packet's header contradicts the IP length.</summary>
    public static PacketParseResult Parse(in IpPayload payload, bool verifyChecksum, ref IpLayer layer, out ChecksumState checksum)
    {
        checksum = IpProtocol.IsCounted(layer.Protocol) ? ChecksumState.Skipped : ChecksumState.Absent;
        if (layer.FragmentOffset != 0)
        {
            // a later fragment carries on the datagram's transport payload, so its bytes count as payload
            layer.PayloadBytes = IpProtocol.IsCounted(layer.Protocol) ? (uint)payload.Length : 0;
            return PacketParseResult.Ip;
        }

        int segmentLength;
        switch (layer.Protocol)
        {
            case IpProtocol.Tcp:
                if (!TryReadTcp(payload, ref layer, out PacketParseResult result))
                {
                    return result;
                }

                segmentLength = payload.Length;
                break;
            case IpProtocol.Udp:
                if (!TryReadUdp(payload, ref layer))
                {
                    return PacketParseResult.Ip;
                }

                segmentLength = (int)layer.PayloadBytes + UdpLength;
                if (layer.IpVersion == 4 && !layer.IsFragment && NetworkOrder.Read16(payload.Captured, UdpChecksumOffset) == 0)
                {
                    checksum = ChecksumState.Absent; // UDP over IPv4 may send no checksum (fragments stay unchecked either way)
                    return PacketParseResult.Ip;
                }

                break;
            case IpProtocol.Icmp or IpProtocol.IcmpV6:
                if (payload.Captured.Length < IcmpLength)
                {
                    return PacketParseResult.Ip;
                }

                layer.SourcePort = payload.Captured[0];
                layer.DestinationPort = payload.Captured[1];
                layer.PayloadBytes = (uint)(payload.Length - IcmpLength);
                layer.HasTransportHeader = true;
                segmentLength = payload.Length;
                break;
            default:
                return PacketParseResult.Ip;
        }

        bool computable = verifyChecksum && !layer.IsFragment && !payload.DestinationNotFinal && payload.Captured.Length >= segmentLength;
        if (computable)
        {
            checksum = IsChecksumValid(payload, layer.Protocol, payload.Captured[..segmentLength]) ? ChecksumState.Good : ChecksumState.Bad;
        }

        return PacketParseResult.Ip;
    }

    /// <summary>True when the TCP header was read; otherwise <paramref name="result"/> says whether the layer still stands.</summary>
    private static bool TryReadTcp(in IpPayload payload, ref IpLayer layer, out PacketParseResult result)
    {
        result = PacketParseResult.Ip;
        ReadOnlySpan<byte> tcp = payload.Captured;
        if (tcp.Length < TcpMinLength)
        {
            return false;
        }

        int headerLength = (tcp[TcpDataOffsetOffset] >> 4) * 4;
        if (headerLength < TcpMinLength || headerLength > payload.Length)
        {
            // a first fragment too small for its own header is a known evasion trick, not a broken packet
            result = layer.IsFragment ? PacketParseResult.Ip : PacketParseResult.Malformed;
            return false;
        }

        layer.SourcePort = NetworkOrder.Read16(tcp, 0);
        layer.DestinationPort = NetworkOrder.Read16(tcp, 2);
        layer.TcpSequence = NetworkOrder.Read32(tcp, TcpSequenceOffset);
        layer.TcpAcknowledgment = NetworkOrder.Read32(tcp, TcpAcknowledgmentOffset);
        layer.TcpFlags = tcp[TcpFlagsOffset];
        layer.PayloadBytes = (uint)(payload.Length - headerLength);
        layer.HasTransportHeader = true;
        return true;
    }

    private static bool TryReadUdp(in IpPayload payload, ref IpLayer layer)
    {
        ReadOnlySpan<byte> udp = payload.Captured;
        if (udp.Length < UdpLength)
        {
            return false;
        }

        // the UDP length rules unless it contradicts the IP header (a first fragment's covers the whole datagram)
        int length = NetworkOrder.Read16(udp, UdpLengthOffset);
        int datagram = length >= UdpLength && length <= payload.Length ? length : payload.Length;
        layer.SourcePort = NetworkOrder.Read16(udp, 0);
        layer.DestinationPort = NetworkOrder.Read16(udp, 2);
        layer.PayloadBytes = (uint)(datagram - UdpLength);
        layer.HasTransportHeader = true;
        return true;
    }

    // ICMP for IPv4 sums its message alone; TCP, UDP and ICMPv6 add the pseudo-header
    private static bool IsChecksumValid(in IpPayload payload, byte protocol, ReadOnlySpan<byte> segment) => protocol == IpProtocol.Icmp
        ? InternetChecksum.IsValid(segment)
        : InternetChecksum.IsValidWithPseudoHeader(payload.Addresses, protocol, segment.Length, segment);
}
