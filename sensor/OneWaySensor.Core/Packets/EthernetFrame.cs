namespace OneWaySensor.Packets;

/// <summary>
/// Finds the IP packet in an Ethernet frame, through whatever sits between
/// the MAC header and IP:
///
///   destination(6) source(6) type(2) payload
///   0x8100, 0x88A8, 0x9100  VLAN tag: TCI(2) type(2), stacked to any depth (QinQ)
///   0x8847, 0x8848          MPLS labels (4 bytes each) down to bottom-of-stack, then IP told by its first nibble
///   0x8864                  PPPoE session: version/type(1) code(1) session(2) length(2), then PPP
///   0x8903                  Cisco FabricPath: FTag/TTL(2) ends the 16-byte outer header, then a whole inner Ethernet frame
///   up to 1500              an 802.3 length: LLC/SNAP gives the type
/// </summary>
internal static class EthernetFrame
{
    private const int MacHeaderLength = 14;
    private const int TypeOffset = 12;
    private const int VlanTagLength = 4;
    private const int VlanInnerTypeOffset = 2;
    private const int MplsLabelLength = 4;
    private const int MplsBottomOfStackOffset = 2;
    private const byte MplsBottomOfStack = 0x01;
    private const int PppoeHeaderLength = 6;
    private const int FabricPathTagLength = 2;

    /// <summary>Ip when the frame carries an IP packet, which starts at <paramref name="ipStart"/> with version <paramref name="ipVersion"/>.</summary>
    public static PacketParseResult FindIp(ReadOnlySpan<byte> frame, out int ipStart, out byte ipVersion)
    {
        if (frame.Length < MacHeaderLength)
        {
            ipStart = 0;
            ipVersion = 0;
            return PacketParseResult.Truncated;
        }

        return FollowEtherType(frame, NetworkOrder.Read16(frame, TypeOffset), MacHeaderLength, out ipStart, out ipVersion);
    }

    /// <summary>Follows <paramref name="etherType"/>, whose payload starts at <paramref name="position"/>, until IP or something else.</summary>
    public static PacketParseResult FollowEtherType(ReadOnlySpan<byte> frame, ushort etherType, int position, out int ipStart, out byte ipVersion)
    {
        ipStart = 0;
        ipVersion = 0;

        // every step either returns or moves position forward inside the frame, so this ends
        while (true)
        {
            switch (etherType)
            {
                case EtherType.Ipv4:
                    ipStart = position;
                    ipVersion = 4;
                    return PacketParseResult.Ip;
                case EtherType.Ipv6:
                    ipStart = position;
                    ipVersion = 6;
                    return PacketParseResult.Ip;
                case EtherType.Vlan or EtherType.ServiceVlan or EtherType.LegacyQinQ:
                    if (frame.Length < position + VlanTagLength)
                    {
                        return PacketParseResult.Truncated;
                    }

                    etherType = NetworkOrder.Read16(frame, position + VlanInnerTypeOffset);
                    position += VlanTagLength;
                    break;
                case EtherType.MplsUnicast or EtherType.MplsMulticast:
                    return SkipMplsLabels(frame, position, out ipStart, out ipVersion);
                case EtherType.PppoeSession:
                    if (frame.Length < position + PppoeHeaderLength)
                    {
                        return PacketParseResult.Truncated;
                    }

                    return Ppp.FindIp(frame, position + PppoeHeaderLength, out ipStart, out ipVersion);
                case EtherType.CiscoFabricPath:
                    position += FabricPathTagLength;
                    if (frame.Length < position + MacHeaderLength)
                    {
                        return PacketParseResult.Truncated;
                    }

                    etherType = NetworkOrder.Read16(frame, position + TypeOffset);
                    position += MacHeaderLength;
                    break;
                case <= EtherType.MaxFrameLength:
                    PacketParseResult snap = LlcSnap.ReadEtherType(frame, position, out etherType);
                    if (snap != PacketParseResult.Ip)
                    {
                        return snap;
                    }

                    position += LlcSnap.HeaderLength;
                    break;
                default:
                    return PacketParseResult.NotIp;
            }
        }
    }

    private static PacketParseResult SkipMplsLabels(ReadOnlySpan<byte> frame, int position, out int ipStart, out byte ipVersion)
    {
        ipStart = 0;
        ipVersion = 0;
        bool bottom;
        do
        {
            if (frame.Length < position + MplsLabelLength)
            {
                return PacketParseResult.Truncated;
            }

            bottom = (frame[position + MplsBottomOfStackOffset] & MplsBottomOfStack) != 0;
            position += MplsLabelLength;
        }
        while (!bottom);

        if (frame.Length <= position)
        {
            return PacketParseResult.Truncated;
        }

        // MPLS does not say what it carries; an IP header tells by its version nibble
        byte version = (byte)(frame[position] >> 4);
        if (version is not (4 or 6))
        {
            return PacketParseResult.NotIp; // a pseudowire (control word 0) or something else
        }

        ipStart = position;
        ipVersion = version;
        return PacketParseResult.Ip;
    }
}
