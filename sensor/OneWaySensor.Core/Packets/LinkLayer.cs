using System.Buffers.Binary;

namespace OneWaySensor.Packets;

/// <summary>
/// Where the IP packet starts in a frame of each link type, and which IP
/// version the link header announced (0: the IP header's own nibble tells).
///
///   Null          address family(4, in the capturing host's byte order)
///   Loop          address family(4, network order)
///   Raw, Ipv4, Ipv6 and the other raw values: IP at offset 0
///   LinuxSll      packet type(2) ARPHRD(2) address length(2) address(8) protocol(2) = 16 bytes
///   LinuxSll2     protocol(2) reserved(2) interface(4) ARPHRD(2) packet type(1) address length(1) address(8) = 20 bytes
///   Radiotap, Ieee80211: see <see cref="WirelessFrame"/>; Ethernet: see <see cref="EthernetFrame"/>
/// </summary>
internal static class LinkLayer
{
    private const int LoopbackHeaderLength = 4;
    private const uint FamilyInet = 2;

    // AF_INET6 differs by OS: 24 on NetBSD and OpenBSD, 28 on FreeBSD, 30 on macOS
    private const uint FamilyInet6Bsd = 24;
    private const uint FamilyInet6FreeBsd = 28;
    private const uint FamilyInet6Darwin = 30;

    private const int SllHeaderLength = 16;
    private const int SllProtocolOffset = 14;
    private const int Sll2HeaderLength = 20;
    private const int Sll2ProtocolOffset = 0;

    /// <summary>Linux's ETH_P_802_2: the cooked header's protocol says an 802.2 LLC header follows.</summary>
    private const ushort CookedLlc = 0x0004;

    /// <summary>Ip when the frame carries an IP packet at <paramref name="ipStart"/>.</summary>
    public static PacketParseResult FindIp(ReadOnlySpan<byte> frame, LinkType linkType, out int ipStart, out byte ipVersion)
    {
        ipStart = 0;
        ipVersion = 0;
        switch (linkType)
        {
            case LinkType.Ethernet:
                return EthernetFrame.FindIp(frame, out ipStart, out ipVersion);
            case LinkType.Null:
                return FollowAddressFamily(frame, networkOrder: false, out ipStart, out ipVersion);
            case LinkType.Loop:
                return FollowAddressFamily(frame, networkOrder: true, out ipStart, out ipVersion);
            case LinkType.Raw or LinkType.RawAlt12 or LinkType.RawAlt14 or LinkType.Ipv4 or LinkType.Ipv6:
                return PacketParseResult.Ip;
            case LinkType.LinuxSll:
                return FollowCookedProtocol(frame, SllHeaderLength, SllProtocolOffset, out ipStart, out ipVersion);
            case LinkType.LinuxSll2:
                return FollowCookedProtocol(frame, Sll2HeaderLength, Sll2ProtocolOffset, out ipStart, out ipVersion);
            case LinkType.Radiotap:
                return WirelessFrame.FindIpAfterRadiotap(frame, out ipStart, out ipVersion);
            case LinkType.Ieee80211:
                return WirelessFrame.FindIp(frame, 0, padded: false, out ipStart, out ipVersion);
            default:
                return PacketParseResult.UnknownLinkType;
        }
    }

    private static PacketParseResult FollowAddressFamily(ReadOnlySpan<byte> frame, bool networkOrder, out int ipStart, out byte ipVersion)
    {
        ipStart = LoopbackHeaderLength;
        ipVersion = 0;
        if (frame.Length < LoopbackHeaderLength)
        {
            return PacketParseResult.Truncated;
        }

        uint family = networkOrder
            ? BinaryPrimitives.ReadUInt32BigEndian(frame)
            : BinaryPrimitives.ReadUInt32LittleEndian(frame);

        // a capture written on a big-endian host: families are small numbers, so a large value is the other order
        if (!networkOrder && family > 0xFFFF)
        {
            family = BinaryPrimitives.ReverseEndianness(family);
        }

        ipVersion = family switch
        {
            FamilyInet => 4,
            FamilyInet6Bsd or FamilyInet6FreeBsd or FamilyInet6Darwin => 6,
            _ => 0,
        };
        return ipVersion == 0 ? PacketParseResult.NotIp : PacketParseResult.Ip;
    }

    private static PacketParseResult FollowCookedProtocol(ReadOnlySpan<byte> frame, int headerLength, int protocolOffset, out int ipStart, out byte ipVersion)
    {
        ipStart = 0;
        ipVersion = 0;
        if (frame.Length < headerLength)
        {
            return PacketParseResult.Truncated;
        }

        ushort protocol = NetworkOrder.Read16(frame, protocolOffset);
        if (protocol == CookedLlc)
        {
            PacketParseResult snap = LlcSnap.ReadEtherType(frame, headerLength, out ushort etherType);
            return snap != PacketParseResult.Ip
                ? snap
                : EthernetFrame.FollowEtherType(frame, etherType, headerLength + LlcSnap.HeaderLength, out ipStart, out ipVersion);
        }

        // below 0x0600 the field holds Linux's own ETH_P_ numbers (802.3, CAN, ...), none of them IP
        return protocol <= EtherType.MaxFrameLength
            ? PacketParseResult.NotIp
            : EthernetFrame.FollowEtherType(frame, protocol, headerLength, out ipStart, out ipVersion);
    }
}
