using OneWaySensor.Packets;
using static OneWaySensor.Tests.Packets.Bytes;
using static OneWaySensor.Tests.Packets.IpPacketBuilder;
using static OneWaySensor.Tests.Packets.LinkFrameBuilder;

namespace OneWaySensor.Tests.Packets;

/// <summary>Each link type and each encapsulation below IP delivers the same IP layer; frames without IP say so.</summary>
public sealed class LinkLayerTests
{
    private static readonly byte[] TcpOverIpv4 = Ipv4(Tcp, "192.0.2.1", "198.51.100.7", TcpSegment(40000, 443, 1000, 2000, 0x18, Pattern(10)));
    private static readonly byte[] UdpOverIpv6 = Ipv6(Udp, "2001:db8::1", "2001:db8::2", UdpDatagram(5353, 53, Pattern(12)));

    private static readonly IpLayer TcpLayer = new()
    {
        IpVersion = 4,
        Protocol = Tcp,
        Source = LayerAssert.Address("192.0.2.1"),
        Destination = LayerAssert.Address("198.51.100.7"),
        SourcePort = 40000,
        DestinationPort = 443,
        IpBytes = 50,
        PayloadBytes = 10,
        TcpFlags = 0x18,
        TcpSequence = 1000,
        TcpAcknowledgment = 2000,
        HasTransportHeader = true,
        FragmentId = 0x4242,
    };

    private static readonly IpLayer UdpLayer = new()
    {
        IpVersion = 6,
        Protocol = Udp,
        Source = LayerAssert.Address("2001:db8::1"),
        Destination = LayerAssert.Address("2001:db8::2"),
        SourcePort = 5353,
        DestinationPort = 53,
        IpBytes = 60,
        PayloadBytes = 12,
        HasTransportHeader = true,
    };

    internal static readonly Dictionary<string, (LinkType Link, byte[] Frame, IpLayer Expected)> Framings = new()
    {
        ["ethernet ipv4"] = (LinkType.Ethernet, Ethernet(Ipv4Type, TcpOverIpv4), TcpLayer),
        ["ethernet ipv6"] = (LinkType.Ethernet, Ethernet(Ipv6Type, UdpOverIpv6), UdpLayer),
        ["ethernet with trailing padding"] = (LinkType.Ethernet, Ethernet(Ipv4Type, TcpOverIpv4, new byte[6]), TcpLayer),
        ["802.1Q"] = (LinkType.Ethernet, Ethernet(0x8100, VlanTag(10, Ipv4Type), TcpOverIpv4), TcpLayer),
        ["802.1ad QinQ"] = (LinkType.Ethernet, Ethernet(0x88A8, VlanTag(13, 0x8100), VlanTag(10, Ipv6Type), UdpOverIpv6), UdpLayer),
        ["0x9100 QinQ, three tags"] = (LinkType.Ethernet, Ethernet(0x9100, VlanTag(1, 0x88A8), VlanTag(2, 0x8100), VlanTag(3, Ipv4Type), TcpOverIpv4), TcpLayer),
        ["MPLS one label"] = (LinkType.Ethernet, Ethernet(0x8847, MplsLabel(29, true), TcpOverIpv4), TcpLayer),
        ["MPLS label stack, IPv6"] = (LinkType.Ethernet, Ethernet(0x8847, MplsLabel(100, false), MplsLabel(200, false), MplsLabel(300, true), UdpOverIpv6), UdpLayer),
        ["MPLS multicast"] = (LinkType.Ethernet, Ethernet(0x8848, MplsLabel(5, true), TcpOverIpv4), TcpLayer),
        ["VLAN then MPLS"] = (LinkType.Ethernet, Ethernet(0x8100, VlanTag(7, 0x8847), MplsLabel(29, true), TcpOverIpv4), TcpLayer),
        ["PPPoE IPv4"] = (LinkType.Ethernet, Ethernet(0x8864, PppoeSession(0x0021, TcpOverIpv4)), TcpLayer),
        ["PPPoE IPv6"] = (LinkType.Ethernet, Ethernet(0x8864, PppoeSession(0x0057, UdpOverIpv6)), UdpLayer),
        ["FabricPath"] = (LinkType.Ethernet, FabricPath(Ethernet(Ipv4Type, TcpOverIpv4)), TcpLayer),
        ["FabricPath, inner VLAN"] = (LinkType.Ethernet, FabricPath(Ethernet(0x8100, VlanTag(4, Ipv6Type), UdpOverIpv6)), UdpLayer),
        ["802.3 LLC/SNAP"] = (LinkType.Ethernet, Ieee8023(Ipv4Type, TcpOverIpv4), TcpLayer),
        ["Null AF_INET"] = (LinkType.Null, Null(2, TcpOverIpv4), TcpLayer),
        ["Null AF_INET6 (BSD 24)"] = (LinkType.Null, Null(24, UdpOverIpv6), UdpLayer),
        ["Null AF_INET6 (FreeBSD 28)"] = (LinkType.Null, Null(28, UdpOverIpv6), UdpLayer),
        ["Null AF_INET6 (macOS 30)"] = (LinkType.Null, Null(30, UdpOverIpv6), UdpLayer),
        ["Null from a big-endian host"] = (LinkType.Null, Null(2, TcpOverIpv4, bigEndianHost: true), TcpLayer),
        ["Loop AF_INET"] = (LinkType.Loop, Loop(2, TcpOverIpv4), TcpLayer),
        ["Loop AF_INET6"] = (LinkType.Loop, Loop(24, UdpOverIpv6), UdpLayer),
        ["Raw IPv4"] = (LinkType.Raw, TcpOverIpv4, TcpLayer),
        ["Raw IPv6"] = (LinkType.Raw, UdpOverIpv6, UdpLayer),
        ["RawAlt12"] = (LinkType.RawAlt12, TcpOverIpv4, TcpLayer),
        ["RawAlt14"] = (LinkType.RawAlt14, UdpOverIpv6, UdpLayer),
        ["Ipv4 link type"] = (LinkType.Ipv4, TcpOverIpv4, TcpLayer),
        ["Ipv6 link type"] = (LinkType.Ipv6, UdpOverIpv6, UdpLayer),
        ["Linux cooked v1"] = (LinkType.LinuxSll, LinuxSll(Ipv4Type, TcpOverIpv4), TcpLayer),
        ["Linux cooked v1, VLAN"] = (LinkType.LinuxSll, LinuxSll(0x8100, Concat(VlanTag(9, Ipv6Type), UdpOverIpv6)), UdpLayer),
        ["Linux cooked v1, 802.2 LLC"] = (LinkType.LinuxSll, LinuxSll(0x0004, Concat(LlcSnap(Ipv4Type), TcpOverIpv4)), TcpLayer),
        ["Linux cooked v2"] = (LinkType.LinuxSll2, LinuxSll2(Ipv6Type, UdpOverIpv6), UdpLayer),
        ["radiotap 802.11 data"] = (LinkType.Radiotap, Radiotap(Ieee80211Data(Ipv4Type, TcpOverIpv4)), TcpLayer),
        ["radiotap 802.11 QoS data"] = (LinkType.Radiotap, Radiotap(Ieee80211Data(Ipv6Type, UdpOverIpv6, qos: true)), UdpLayer),
        ["radiotap 802.11 four addresses"] = (LinkType.Radiotap, Radiotap(Ieee80211Data(Ipv4Type, TcpOverIpv4, wds: true)), TcpLayer),
        ["radiotap 802.11 QoS with HT control"] = (LinkType.Radiotap, Radiotap(Ieee80211Data(Ipv4Type, TcpOverIpv4, qos: true, order: true)), TcpLayer),
        ["radiotap 802.11 Order bit without QoS"] = (LinkType.Radiotap, Radiotap(Ieee80211Data(Ipv4Type, TcpOverIpv4, order: true)), TcpLayer),
        ["radiotap data padding"] = (LinkType.Radiotap, Radiotap(Ieee80211Data(Ipv4Type, TcpOverIpv4, qos: true, padding: 2), dataPadding: true), TcpLayer),
        ["radiotap extended present word"] = (LinkType.Radiotap, Radiotap(Ieee80211Data(Ipv4Type, TcpOverIpv4, qos: true, padding: 2), dataPadding: true, extendedPresent: true), TcpLayer),
        ["802.11 without radiotap"] = (LinkType.Ieee80211, Ieee80211Data(Ipv6Type, UdpOverIpv6, qos: true, wds: true), UdpLayer),
    };

    private static readonly Dictionary<string, (LinkType Link, byte[] Frame, PacketParseResult Expected)> NonIpFrames = new()
    {
        ["ARP"] = (LinkType.Ethernet, Ethernet(ArpType, new byte[28]), PacketParseResult.NotIp),
        ["LLDP"] = (LinkType.Ethernet, Ethernet(0x88CC, new byte[20]), PacketParseResult.NotIp),
        ["ARP behind a VLAN tag"] = (LinkType.Ethernet, Ethernet(0x8100, VlanTag(3, ArpType), new byte[28]), PacketParseResult.NotIp),
        ["802.3 spanning tree"] = (LinkType.Ethernet, Concat(Ethernet(38, [0x42, 0x42, 0x03]), new byte[35]), PacketParseResult.NotIp),
        ["802.3 SNAP with a vendor OUI (CDP)"] = (LinkType.Ethernet, Ethernet(30, [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x0C, 0x20, 0x00], new byte[22]), PacketParseResult.NotIp),
        ["an EtherType between 1500 and 1536"] = (LinkType.Ethernet, Ethernet(1510, TcpOverIpv4), PacketParseResult.NotIp),
        ["PPPoE discovery"] = (LinkType.Ethernet, Ethernet(0x8863, [0x11, 0x09, 0, 0, 0, 0]), PacketParseResult.NotIp),
        ["PPPoE session LCP"] = (LinkType.Ethernet, Ethernet(0x8864, PppoeSession(0xC021, new byte[10])), PacketParseResult.NotIp),
        ["MPLS pseudowire"] = (LinkType.Ethernet, Ethernet(0x8847, MplsLabel(16, true), new byte[4], Ethernet(Ipv4Type, TcpOverIpv4)), PacketParseResult.NotIp),
        ["Null AF_UNIX"] = (LinkType.Null, Null(1, TcpOverIpv4), PacketParseResult.NotIp),
        ["Loop AF_APPLETALK"] = (LinkType.Loop, Loop(16, TcpOverIpv4), PacketParseResult.NotIp),
        ["Linux cooked ARP"] = (LinkType.LinuxSll, LinuxSll(ArpType, new byte[28]), PacketParseResult.NotIp),
        ["Linux cooked 802.3 (ETH_P_802_3)"] = (LinkType.LinuxSll2, LinuxSll2(0x0001, new byte[40]), PacketParseResult.NotIp),
        ["802.11 beacon"] = (LinkType.Radiotap, Radiotap(Ieee80211Beacon()), PacketParseResult.NotIp),
        ["802.11 protected data"] = (LinkType.Ieee80211, Ieee80211Data(Ipv4Type, TcpOverIpv4, isProtected: true), PacketParseResult.NotIp),
        ["802.11 QoS null function"] = (LinkType.Ieee80211, Concat([0xC8, 0x01], new byte[24]), PacketParseResult.NotIp),
        ["802.11 A-MSDU"] = (LinkType.Ieee80211, A80211AggregateFrame(), PacketParseResult.NotIp),
        ["802.11 data with ARP"] = (LinkType.Ieee80211, Ieee80211Data(ArpType, new byte[28]), PacketParseResult.NotIp),
        ["a link type the parser does not read"] = ((LinkType)147, TcpOverIpv4, PacketParseResult.UnknownLinkType),
        ["raw with IP version 5"] = (LinkType.Raw, [0x55, .. TcpOverIpv4[1..]], PacketParseResult.Malformed),
        ["EtherType IPv4 holding IPv6"] = (LinkType.Ethernet, Ethernet(Ipv4Type, UdpOverIpv6), PacketParseResult.Malformed),
        ["radiotap version 1"] = (LinkType.Radiotap, [1, .. Radiotap(Ieee80211Data(Ipv4Type, TcpOverIpv4))[1..]], PacketParseResult.Malformed),
        ["radiotap length under 8"] = (LinkType.Radiotap, [0, 0, 4, 0, .. Ieee80211Data(Ipv4Type, TcpOverIpv4)], PacketParseResult.Malformed),
        ["802.11 protocol version 1"] = (LinkType.Ieee80211, [0x09, .. Ieee80211Data(Ipv4Type, TcpOverIpv4)[1..]], PacketParseResult.Malformed),
    };

    public static TheoryData<string> IpFramings => [.. Framings.Keys];

    public static TheoryData<string> NonIpFraming => [.. NonIpFrames.Keys];

    [Theory]
    [MemberData(nameof(IpFramings))]
    public void The_same_IP_layer_comes_out_of_every_framing(string framing)
    {
        (LinkType link, byte[] frame, IpLayer expected) = Framings[framing];
        LayerAssert.Layers(frame, link, expected);
    }

    [Theory]
    [MemberData(nameof(NonIpFraming))]
    public void Frames_without_IP_say_what_they_are(string framing)
    {
        (LinkType link, byte[] frame, PacketParseResult expected) = NonIpFrames[framing];
        PacketLayers layers = LayerAssert.Parse(frame, link, expected);
        Assert.Equal(0, layers.Count);
    }

    [Fact]
    public void A_parse_forgets_the_layers_of_the_frame_before()
    {
        var layers = default(PacketLayers);
        Assert.Equal(PacketParseResult.Ip, PacketParser.Parse(Ethernet(Ipv4Type, TcpOverIpv4), LinkType.Ethernet, ref layers));
        Assert.Equal(1, layers.Count);

        Assert.Equal(PacketParseResult.NotIp, PacketParser.Parse(Ethernet(ArpType, new byte[28]), LinkType.Ethernet, ref layers));
        Assert.Equal(0, layers.Count);
        Assert.True(layers.IsEmpty);
    }

    // QoS data whose QoS control has the A-MSDU bit: the payload is subframes, not LLC
    private static byte[] A80211AggregateFrame()
    {
        byte[] frame = Ieee80211Data(Ipv4Type, TcpOverIpv4, qos: true);
        frame[24] |= 0x80;
        return frame;
    }
}
