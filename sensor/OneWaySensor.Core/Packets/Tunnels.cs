namespace OneWaySensor.Packets;

/// <summary>
/// Whether an IP layer's payload is another IP packet, and where it starts:
///
///   IP-in-IP   protocol 4 (IPv4 inside) or 41 (IPv6 inside), in either IP version: the payload is the packet
///   GRE        (RFC 2784, 2890) flags and version(2) protocol type(2) [checksum, reserved(4) if C] [key(4) if K] [sequence(4) if S]
///              type 0x0800 / 0x86DD: IP; 0x6558: an Ethernet frame
///   PPTP GRE   (RFC 2637) version 1, type 0x880B: flags and version(2) type(2) payload length(2) call id(2)
///              [sequence(4) if S] [acknowledgment(4) if A], then PPP
///   VXLAN      (RFC 7348) UDP to port 4789: flags(1, I = 0x08) reserved(3) VNI(3) reserved(1), then an Ethernet frame
///   Teredo     (RFC 4380) UDP port 3544 either side: [authentication: 00 01 id length(1) auth length(1) id auth nonce(8) confirmation(1)]
///              [origin indication: 00 00 port(2) address(4)], then an IPv6 packet
///
/// Fragments are left alone: their inner packet is whole only after reassembly.
/// </summary>
internal static class Tunnels
{
    private const int GreHeaderLength = 4;
    private const int GreOptionalFieldLength = 4;
    private const ushort GreChecksumPresent = 0x8000;
    private const ushort GreRoutingPresent = 0x4000;
    private const ushort GreKeyPresent = 0x2000;
    private const ushort GreSequencePresent = 0x1000;
    private const ushort GreAcknowledgmentPresent = 0x0080;
    private const ushort GreVersionMask = 0x0007;
    private const int GreVersionPptp = 1;

    private const ushort VxlanPort = 4789;
    private const int VxlanHeaderLength = 8;
    private const byte VxlanValidVni = 0x08;

    private const ushort TeredoPort = 3544;
    private const int TeredoAuthenticationFixedLength = 4 + 8 + 1; // indicator, two lengths; nonce; confirmation
    private const int TeredoOriginIndicationLength = 8;
    private const int Ipv6PayloadLengthOffset = 4;

    private const int UdpHeaderLength = 8;

    /// <summary>What <paramref name="layer"/> carries, if an IP packet: <paramref name="inner"/> starts with its header.</summary>
    public static Encapsulation FindInner(scoped in IpLayer layer, scoped in IpPayload payload, out ReadOnlySpan<byte> inner, out byte innerVersion)
    {
        inner = default;
        innerVersion = 0;
        if (layer.IsFragment)
        {
            return Encapsulation.None;
        }

        switch (layer.Protocol)
        {
            case IpProtocol.IpInIpv4:
                inner = payload.Captured;
                innerVersion = 4;
                return Encapsulation.IpInIp;
            case IpProtocol.Ipv6InIp:
                inner = payload.Captured;
                innerVersion = 6;
                return Encapsulation.IpInIp;
            case IpProtocol.Gre:
                return FindInGre(payload.Captured, out inner, out innerVersion) ? Encapsulation.Gre : Encapsulation.None;
            case IpProtocol.Udp when layer.HasTransportHeader:
                // the UDP data the header declares, as far as it was captured
                ReadOnlySpan<byte> captured = payload.Captured;
                int datagramEnd = Math.Min(captured.Length, (int)layer.PayloadBytes + UdpHeaderLength);
                ReadOnlySpan<byte> data = captured[UdpHeaderLength..datagramEnd];
                if (layer.DestinationPort == VxlanPort)
                {
                    return FindInVxlan(data, out inner, out innerVersion) ? Encapsulation.Vxlan : Encapsulation.None;
                }

                if (layer.SourcePort == TeredoPort || layer.DestinationPort == TeredoPort)
                {
                    return FindInTeredo(data, (int)layer.PayloadBytes, out inner, out innerVersion) ? Encapsulation.Teredo : Encapsulation.None;
                }

                return Encapsulation.None;
            default:
                return Encapsulation.None;
        }
    }

    private static bool FindInGre(ReadOnlySpan<byte> gre, out ReadOnlySpan<byte> inner, out byte innerVersion)
    {
        inner = default;
        innerVersion = 0;
        if (gre.Length < GreHeaderLength)
        {
            return false;
        }

        ushort flags = NetworkOrder.Read16(gre, 0);
        ushort protocolType = NetworkOrder.Read16(gre, 2);
        int version = flags & GreVersionMask;
        int position = GreHeaderLength;
        if (version == GreVersionPptp && protocolType == EtherType.Ppp)
        {
            position += GreOptionalFieldLength; // payload length and call id, in the key's place
            position += (flags & GreSequencePresent) != 0 ? GreOptionalFieldLength : 0;
            position += (flags & GreAcknowledgmentPresent) != 0 ? GreOptionalFieldLength : 0;
            if (Ppp.FindIp(gre, position, out int ipStart, out innerVersion) != PacketParseResult.Ip)
            {
                return false;
            }

            inner = gre[ipStart..];
            return true;
        }

        // RFC 1701 source routing is obsolete (RFC 2784 drops it): its routing entries are not walked
        if (version != 0 || (flags & GreRoutingPresent) != 0)
        {
            return false;
        }

        position += (flags & GreChecksumPresent) != 0 ? GreOptionalFieldLength : 0;
        position += (flags & GreKeyPresent) != 0 ? GreOptionalFieldLength : 0;
        position += (flags & GreSequencePresent) != 0 ? GreOptionalFieldLength : 0;
        if (gre.Length < position)
        {
            return false;
        }

        switch (protocolType)
        {
            case EtherType.Ipv4:
                inner = gre[position..];
                innerVersion = 4;
                return true;
            case EtherType.Ipv6:
                inner = gre[position..];
                innerVersion = 6;
                return true;
            case EtherType.TransparentEthernetBridging:
                return FindInEthernet(gre[position..], out inner, out innerVersion);
            default:
                return false;
        }
    }

    private static bool FindInVxlan(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> inner, out byte innerVersion)
    {
        inner = default;
        innerVersion = 0;
        return data.Length >= VxlanHeaderLength
            && (data[0] & VxlanValidVni) != 0
            && FindInEthernet(data[VxlanHeaderLength..], out inner, out innerVersion);
    }

    /// <summary>Teredo carries IPv6 only; anything else on its port (or a length that does not fit) is left as UDP.</summary>
    private static bool FindInTeredo(ReadOnlySpan<byte> data, int declaredLength, out ReadOnlySpan<byte> inner, out byte innerVersion)
    {
        inner = default;
        innerVersion = 0;
        int position = 0;
        if (data.Length >= 4 && data[0] == 0x00 && data[1] == 0x01)
        {
            position = TeredoAuthenticationFixedLength + data[2] + data[3];
        }

        if (data.Length >= position + 2 && data[position] == 0x00 && data[position + 1] == 0x00)
        {
            position += TeredoOriginIndicationLength;
        }

        if (data.Length < position + Ipv6PayloadLengthOffset + 2 || (data[position] >> 4) != 6)
        {
            return false;
        }

        int packetLength = Ipv6Header.Length + NetworkOrder.Read16(data, position + Ipv6PayloadLengthOffset);
        if (packetLength > declaredLength - position)
        {
            return false;
        }

        inner = data[position..];
        innerVersion = 6;
        return true;
    }

    private static bool FindInEthernet(ReadOnlySpan<byte> frame, out ReadOnlySpan<byte> inner, out byte innerVersion)
    {
        inner = default;
        if (EthernetFrame.FindIp(frame, out int ipStart, out innerVersion) != PacketParseResult.Ip)
        {
            return false;
        }

        inner = frame[ipStart..];
        return true;
    }
}
