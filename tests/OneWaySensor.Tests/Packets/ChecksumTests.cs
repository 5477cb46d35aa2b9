using OneWaySensor.Packets;
using static OneWaySensor.Tests.Packets.Bytes;
using static OneWaySensor.Tests.Packets.IpPacketBuilder;
using static OneWaySensor.Tests.Packets.LinkFrameBuilder;
using static OneWaySensor.Tests.Packets.TunnelBuilder;

namespace OneWaySensor.Tests.Packets;

/// <summary>Checksums are verified only when asked, only over whole captured segments, and a wrong one is reported on its layer.</summary>
public sealed class ChecksumTests
{
    private const string Client = "192.0.2.1";
    private const string Server = "198.51.100.7";
    private const string Client6 = "2001:db8::1";
    private const string Server6 = "2001:db8::2";

    public static TheoryData<string, byte[], int> Segments() => new()
    {
        // the packet and the offset of a payload byte to corrupt
        { "TCP over IPv4", Ipv4(Tcp, Client, Server, TcpSegment(40000, 80, 1, 2, 0x18, Pattern(33))), 40 + 5 },
        { "UDP over IPv4", Ipv4(Udp, Client, Server, UdpDatagram(5353, 53, Pattern(17))), 28 + 3 },
        { "ICMP", Ipv4(Icmp, Client, Server, IcmpMessage(8, 0, Pattern(56))), 28 + 10 },
        { "TCP over IPv6", Ipv6(Tcp, Client6, Server6, TcpSegment(40000, 80, 1, 2, 0x18, Pattern(1))), 60 },
        { "UDP over IPv6", Ipv6(Udp, Client6, Server6, UdpDatagram(5353, 53, Pattern(17))), 48 + 16 },
        { "ICMPv6", Ipv6(IcmpV6, Client6, Server6, IcmpMessage(128, 0, Pattern(4))), 48 + 1 },
        { "UDP over IPv6 after extension headers", Ipv6(Udp, Client6, Server6, UdpDatagram(1, 2, Pattern(9)), Ipv6Extension.HopByHop(), Ipv6Extension.DestinationOptions()), 64 + 8 },
    };

    [Theory]
    [MemberData(nameof(Segments))]
    public void A_correct_segment_is_valid_and_a_corrupted_one_is_not(string what, byte[] packet, int corruptAt)
    {
        IpLayer correct = ParseOne(Ethernet(Ipv4Or6(packet), packet, new byte[6]), LinkType.Ethernet); // trailing padding is not summed
        Assert.True(correct.ChecksumChecked, what);
        Assert.True(correct.ChecksumValid, what);

        byte[] corrupted = [.. packet];
        corrupted[corruptAt] ^= 0x40;
        IpLayer damaged = ParseOne(Ethernet(Ipv4Or6(packet), corrupted), LinkType.Ethernet);
        Assert.True(damaged.ChecksumChecked, what);
        Assert.False(damaged.ChecksumValid, what);
    }

    [Fact]
    public void A_corrupted_IPv4_header_is_not_valid()
    {
        byte[] packet = Ipv4(Udp, Client, Server, UdpDatagram(5353, 53, Pattern(17)));
        packet[8] = 1; // TTL
        IpLayer layer = ParseOne(packet);
        Assert.True(layer.ChecksumChecked);
        Assert.False(layer.ChecksumValid);
    }

    [Fact]
    public void UDP_over_IPv4_without_a_checksum_rests_on_the_IPv4_header()
    {
        byte[] packet = Ipv4(Udp, Client, Server, UdpDatagram(5353, 53, Pattern(17)));
        packet[26] = 0;
        packet[27] = 0;
        IpLayer layer = ParseOne(packet);
        Assert.True(layer.ChecksumChecked);
        Assert.True(layer.ChecksumValid);
    }

    [Fact]
    public void A_protocol_without_a_checksum_is_checked_by_its_IPv4_header_only()
    {
        IpLayer overIpv4 = ParseOne(Ipv4(132, Client, Server, Pattern(40)));
        Assert.True(overIpv4.ChecksumChecked);
        Assert.True(overIpv4.ChecksumValid);

        IpLayer overIpv6 = ParseOne(Ipv6(132, Client6, Server6, Pattern(40)));
        Assert.False(overIpv6.ChecksumChecked);
        Assert.False(overIpv6.ChecksumValid);
    }

    [Fact]
    public void A_segment_cut_by_the_snap_length_is_not_checked_unless_its_IPv4_header_is_wrong()
    {
        byte[] packet = Ipv4(Tcp, Client, Server, TcpSegment(40000, 80, 1, 2, 0x18, Pattern(1000)));
        IpLayer cut = ParseOne(packet[..60]);
        Assert.False(cut.ChecksumChecked);
        Assert.False(cut.ChecksumValid);

        packet[8] = 1;
        IpLayer cutWithBadHeader = ParseOne(packet[..60]);
        Assert.True(cutWithBadHeader.ChecksumChecked);
        Assert.False(cutWithBadHeader.ChecksumValid);
    }

    [Fact]
    public void Fragments_are_not_checked()
    {
        byte[] datagram = UdpDatagram(5000, 6000, Pattern(100));
        Assert.False(ParseOne(Ipv4(Udp, Client, Server, datagram[..48], moreFragments: true)).ChecksumChecked);
        Assert.False(ParseOne(Ipv4(Udp, Client, Server, datagram[48..], fragmentOffset: 48)).ChecksumChecked);
        Assert.False(ParseOne(Ipv6(Udp, Client6, Server6, datagram[..48], Ipv6Extension.Fragment(0, more: true, 9))).ChecksumChecked);
    }

    [Fact]
    public void A_routing_header_with_hops_left_hides_the_final_destination_so_the_segment_is_not_checked()
    {
        byte[] packet = Ipv6(Udp, Client6, Server6, UdpDatagram(1, 2, Pattern(9)), Ipv6Extension.Routing(1, "2001:db8::99"));
        Assert.False(ParseOne(packet).ChecksumChecked);
    }

    [Fact]
    public void Nothing_is_checked_unless_asked()
    {
        byte[] packet = Ipv4(Tcp, Client, Server, TcpSegment(40000, 80, 1, 2, 0x18, Pattern(33)));
        packet[50] ^= 0xFF;
        var layers = default(PacketLayers);
        Assert.Equal(PacketParseResult.Ip, PacketParser.Parse(packet, LinkType.Raw, ref layers));
        Assert.False(layers.Layers[0].ChecksumChecked);
        Assert.False(layers.Layers[0].ChecksumValid);
    }

    [Fact]
    public void Each_tunnel_layer_has_its_own_verdict()
    {
        byte[] inner = Ipv4(Tcp, "10.0.0.1", "10.0.0.2", TcpSegment(1, 2, 3, 4, 0x10, Pattern(20)));
        inner[45] ^= 0x01;
        byte[] frame = Ethernet(Ipv4Type, Ipv4(Gre, Client, Server, Gre0(Ipv4Type, inner)));
        var layers = default(PacketLayers);
        Assert.Equal(PacketParseResult.Ip, PacketParser.Parse(frame, LinkType.Ethernet, ref layers, verifyChecksums: true));
        Assert.Equal(2, layers.Count);
        Assert.True(layers.Layers[0].ChecksumChecked);
        Assert.True(layers.Layers[0].ChecksumValid);
        Assert.True(layers.Layers[1].ChecksumChecked);
        Assert.False(layers.Layers[1].ChecksumValid);
    }

    private static ushort Ipv4Or6(byte[] packet) => (packet[0] >> 4) == 4 ? Ipv4Type : Ipv6Type;

    private static IpLayer ParseOne(byte[] frame, LinkType link = LinkType.Raw)
    {
        var layers = default(PacketLayers);
        Assert.Equal(PacketParseResult.Ip, PacketParser.Parse(frame, link, ref layers, verifyChecksums: true));
        Assert.Equal(1, layers.Count);
        return layers.Layers[0];
    }
}
