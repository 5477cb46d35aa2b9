using OneWaySensor.Packets;
using static OneWaySensor.Tests.Packets.Bytes;
using static OneWaySensor.Tests.Packets.IpPacketBuilder;
using static OneWaySensor.Tests.Packets.LayerAssert;
using static OneWaySensor.Tests.Packets.LinkFrameBuilder;
using static OneWaySensor.Tests.Packets.TunnelBuilder;

namespace OneWaySensor.Tests.Packets;

/// <summary>Each tunnel adds an inner layer and marks the outer one with what it carried; what is not really a tunnel stays one layer.</summary>
public sealed class TunnelTests
{
    private const string OuterClient = "172.27.1.66";
    private const string OuterServer = "66.59.109.137";
    private const string InnerClient = "10.0.0.1";
    private const string InnerServer = "10.0.0.2";
    private const string Client6 = "2001:0:4137:9e50:8000:f12a:b9c8:2815";
    private const string Server6 = "2001:4860:0:2001::68";

    private static readonly byte[] InnerPing = Ipv4(Icmp, InnerClient, InnerServer, IcmpMessage(8, 0, Pattern(56)), id: 1);
    private static readonly byte[] InnerPing6 = Ipv6(IcmpV6, Client6, Server6, IcmpMessage(128, 0, Pattern(4)));
    private static readonly byte[] InnerDns = Ipv4(Udp, "172.16.44.3", "8.8.8.8", UdpDatagram(40768, 53, Pattern(71)), id: 2);

    private static readonly IpLayer PingLayer = new()
    {
        IpVersion = 4,
        Protocol = Icmp,
        Source = Address(InnerClient),
        Destination = Address(InnerServer),
        SourcePort = 8,
        IpBytes = 84,
        PayloadBytes = 56,
        HasTransportHeader = true,
        FragmentId = 1,
    };

    private static readonly IpLayer Ping6Layer = new()
    {
        IpVersion = 6,
        Protocol = IcmpV6,
        Source = Address(Client6),
        Destination = Address(Server6),
        SourcePort = 128,
        IpBytes = 52,
        PayloadBytes = 4,
        HasTransportHeader = true,
    };

    private static readonly IpLayer DnsLayer = new()
    {
        IpVersion = 4,
        Protocol = Udp,
        Source = Address("172.16.44.3"),
        Destination = Address("8.8.8.8"),
        SourcePort = 40768,
        DestinationPort = 53,
        IpBytes = 20 + 8 + 71,
        PayloadBytes = 71,
        HasTransportHeader = true,
        FragmentId = 2,
    };

    [Fact]
    public void GRE_carrying_IPv4()
    {
        byte[] frame = Ethernet(Ipv4Type, Ipv4(Gre, OuterClient, OuterServer, Gre0(Ipv4Type, InnerPing), id: 0));
        Layers(frame, LinkType.Ethernet, OuterIpv4(Gre, 20 + 4 + 84) with { Carries = Encapsulation.Gre }, PingLayer);
    }

    [Fact]
    public void GRE_with_checksum_key_and_sequence_carrying_IPv6()
    {
        byte[] frame = Ethernet(Ipv4Type, Ipv4(Gre, OuterClient, OuterServer, Gre0(Ipv6Type, InnerPing6, checksum: true, key: true, sequence: true), id: 0));
        Layers(frame, LinkType.Ethernet, OuterIpv4(Gre, 20 + 16 + 52) with { Carries = Encapsulation.Gre }, Ping6Layer);
    }

    [Fact]
    public void GRE_bridging_Ethernet_carrying_a_VLAN_tagged_packet()
    {
        byte[] bridged = Ethernet(0x8100, VlanTag(30, Ipv4Type), InnerPing);
        byte[] frame = Ethernet(Ipv4Type, Ipv4(Gre, OuterClient, OuterServer, Gre0(TransparentEthernetBridging, bridged, key: true), id: 0));
        Layers(frame, LinkType.Ethernet, OuterIpv4(Gre, (uint)(20 + 8 + bridged.Length)) with { Carries = Encapsulation.Gre }, PingLayer);
    }

    [Fact]
    public void PPTP_GRE_over_IPv4_in_IPv6_like_the_gre_pptp_trace()
    {
        byte[] gre = PptpGre(Ppp(0x0021, InnerDns), sequence: true, acknowledgment: true);
        byte[] ipv4 = Ipv4(Gre, "16.0.0.200", "192.52.166.154", gre, id: 0x8caf);
        byte[] frame = Ethernet(0x8100, VlanTag(100, Ipv6Type), Ipv6(4, "2402:f000:1:8e01::5555", "2607:fcd0:100:2300::b108:2a6b", ipv4));
        Layers(
            frame,
            LinkType.Ethernet,
            new IpLayer
            {
                IpVersion = 6,
                Protocol = 4,
                Source = Address("2402:f000:1:8e01::5555"),
                Destination = Address("2607:fcd0:100:2300::b108:2a6b"),
                IpBytes = (uint)(40 + ipv4.Length),
                Carries = Encapsulation.IpInIp,
            },
            new IpLayer
            {
                IpVersion = 4,
                Protocol = Gre,
                Source = Address("16.0.0.200"),
                Destination = Address("192.52.166.154"),
                IpBytes = (uint)ipv4.Length,
                FragmentId = 0x8caf,
                Carries = Encapsulation.Gre,
            },
            DnsLayer);
    }

    [Fact]
    public void PPTP_GRE_with_compressed_PPP_carrying_IPv6()
    {
        byte[] gre = PptpGre(Ppp(0x0057, InnerPing6, addressControl: false, compressProtocol: true), sequence: false, acknowledgment: true);
        byte[] frame = Ethernet(Ipv4Type, Ipv4(Gre, OuterClient, OuterServer, gre, id: 0));
        Layers(frame, LinkType.Ethernet, OuterIpv4(Gre, (uint)(20 + gre.Length)) with { Carries = Encapsulation.Gre }, Ping6Layer);
    }

    [Fact]
    public void A_PPTP_acknowledgment_without_payload_is_one_layer()
    {
        byte[] gre = Concat(Be16(0x2081), Be16(0x880B), Be16(0), Be16(6016), Be32(539254));
        Layers(Ethernet(Ipv4Type, Ipv4(Gre, OuterClient, OuterServer, gre, id: 0)), LinkType.Ethernet, OuterIpv4(Gre, 20 + 12));
    }

    [Fact]
    public void PPP_control_traffic_in_PPTP_GRE_is_one_layer()
    {
        byte[] gre = PptpGre(Ppp(0xC021, Pattern(10)));
        Layers(Ethernet(Ipv4Type, Ipv4(Gre, OuterClient, OuterServer, gre, id: 0)), LinkType.Ethernet, OuterIpv4(Gre, (uint)(20 + gre.Length)));
    }

    [Fact]
    public void VXLAN_carrying_Ethernet()
    {
        byte[] vxlan = Vxlan(Ethernet(Ipv4Type, InnerPing));
        byte[] frame = Ethernet(Ipv4Type, Ipv4(Udp, "192.168.56.11", "192.168.56.12", UdpDatagram(48134, 4789, vxlan), id: 0));
        Layers(
            frame,
            LinkType.Ethernet,
            new IpLayer
            {
                IpVersion = 4,
                Protocol = Udp,
                Source = Address("192.168.56.11"),
                Destination = Address("192.168.56.12"),
                SourcePort = 48134,
                DestinationPort = 4789,
                IpBytes = (uint)(28 + vxlan.Length),
                PayloadBytes = (uint)vxlan.Length,
                HasTransportHeader = true,
                Carries = Encapsulation.Vxlan,
            },
            PingLayer);
    }

    [Fact]
    public void VXLAN_carrying_ARP_or_without_a_valid_VNI_is_one_layer()
    {
        byte[] arp = Vxlan(Ethernet(ArpType, new byte[28]));
        byte[] invalid = Vxlan(Ethernet(Ipv4Type, InnerPing));
        invalid[0] = 0;
        foreach (byte[] vxlan in new[] { arp, invalid })
        {
            PacketLayers layers = Parse(Ethernet(Ipv4Type, Ipv4(Udp, "192.168.56.11", "192.168.56.12", UdpDatagram(39924, 4789, vxlan))), LinkType.Ethernet);
            Assert.Equal(1, layers.Count);
            Assert.Equal(Encapsulation.None, layers.Layers[0].Carries);
            Assert.Equal(4789, layers.Layers[0].DestinationPort);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Teredo_with_its_optional_headers(bool authentication, bool originIndication)
    {
        byte[] teredo = Teredo(InnerPing6, authentication, originIndication);
        byte[] frame = Ethernet(Ipv4Type, Ipv4(Udp, "65.55.158.80", "192.168.2.16", UdpDatagram(3544, 3797, teredo), id: 0));
        Layers(
            frame,
            LinkType.Ethernet,
            new IpLayer
            {
                IpVersion = 4,
                Protocol = Udp,
                Source = Address("65.55.158.80"),
                Destination = Address("192.168.2.16"),
                SourcePort = 3544,
                DestinationPort = 3797,
                IpBytes = (uint)(28 + teredo.Length),
                PayloadBytes = (uint)teredo.Length,
                HasTransportHeader = true,
                Carries = Encapsulation.Teredo,
            },
            Ping6Layer);
    }

    [Fact]
    public void Teredo_bubbles_are_IPv6_without_a_next_header()
    {
        byte[] bubble = Ipv6(59, Client6, "fe80::8000:f227:bec8:61af", []);
        Layers(
            Ethernet(Ipv4Type, Ipv4(Udp, "192.168.2.16", "83.170.1.38", UdpDatagram(3797, 3544, bubble), id: 0)),
            LinkType.Ethernet,
            new IpLayer
            {
                IpVersion = 4,
                Protocol = Udp,
                Source = Address("192.168.2.16"),
                Destination = Address("83.170.1.38"),
                SourcePort = 3797,
                DestinationPort = 3544,
                IpBytes = 28 + 40,
                PayloadBytes = 40,
                HasTransportHeader = true,
                Carries = Encapsulation.Teredo,
            },
            new IpLayer { IpVersion = 6, Protocol = 59, Source = Address(Client6), Destination = Address("fe80::8000:f227:bec8:61af"), IpBytes = 40 });
    }

    public static TheoryData<string, byte[]> NotTeredo() => new()
    {
        { "not IPv6", Pattern(60) },
        { "an IPv6 payload length longer than the UDP data", PatchedLength(InnerPing6, 200) },
        { "an IPv6 header cut inside its first six bytes", InnerPing6[..5] },
    };

    [Theory]
    [MemberData(nameof(NotTeredo))]
    public void UDP_on_the_Teredo_port_that_does_not_hold_IPv6_is_one_layer(string what, byte[] data)
    {
        PacketLayers layers = Parse(Ethernet(Ipv4Type, Ipv4(Udp, "192.168.2.16", "65.55.158.80", UdpDatagram(3797, 3544, data))), LinkType.Ethernet);
        Assert.Equal(1, layers.Count);
        Assert.True(layers.Layers[0].Carries == Encapsulation.None, what);
        Assert.Equal((uint)data.Length, layers.Layers[0].PayloadBytes);
    }

    [Theory]
    [InlineData(4, 4, 4)]
    [InlineData(4, 41, 6)]
    [InlineData(6, 4, 4)]
    [InlineData(6, 41, 6)]
    public void IP_in_IP_in_either_version(int outerVersion, byte protocol, int innerVersion)
    {
        byte[] inner = innerVersion == 4 ? InnerPing : InnerPing6;
        IpLayer innerLayer = innerVersion == 4 ? PingLayer : Ping6Layer;
        byte[] outer = outerVersion == 4
            ? Ipv4(protocol, OuterClient, OuterServer, inner, id: 0)
            : Ipv6(protocol, "2001:db8::a", "2001:db8::b", inner);
        IpLayer outerLayer = outerVersion == 4
            ? OuterIpv4(protocol, (uint)outer.Length)
            : new IpLayer { IpVersion = 6, Protocol = protocol, Source = Address("2001:db8::a"), Destination = Address("2001:db8::b"), IpBytes = (uint)outer.Length };
        Layers(outer, LinkType.Raw, outerLayer with { Carries = Encapsulation.IpInIp }, innerLayer);
    }

    [Fact]
    public void Nesting_stops_at_four_layers()
    {
        byte[] packet = InnerPing;
        for (int i = 0; i < 5; i++)
        {
            packet = Ipv4(4, OuterClient, OuterServer, packet, id: 0);
        }

        PacketLayers layers = Parse(packet, LinkType.Raw);
        Assert.Equal(IpLayers.MaxDepth, layers.Count);
        for (int i = 0; i < IpLayers.MaxDepth; i++)
        {
            Assert.Equal(4, layers.Layers[i].Protocol);
            Assert.Equal((uint)(packet.Length - (20 * i)), layers.Layers[i].IpBytes);
        }

        Assert.Equal(Encapsulation.IpInIp, layers.Layers[2].Carries);
        Assert.Equal(Encapsulation.None, layers.Layers[3].Carries);
    }

    [Fact]
    public void A_damaged_or_cut_inner_packet_leaves_the_outer_layers()
    {
        byte[] mismatched = Ipv4(Gre, OuterClient, OuterServer, Gre0(Ipv4Type, InnerPing6), id: 0);
        byte[] cut = Ethernet(Ipv4Type, Ipv4(Udp, "192.168.56.11", "192.168.56.12", UdpDatagram(48134, 4789, Vxlan(Ethernet(Ipv4Type, InnerPing)))))[..(14 + 28 + 8 + 14 + 12)];

        Layers(mismatched, LinkType.Raw, OuterIpv4(Gre, 20 + 4 + 52));
        PacketLayers layers = Parse(cut, LinkType.Ethernet);
        Assert.Equal(1, layers.Count);
        Assert.Equal(Encapsulation.None, layers.Layers[0].Carries);
    }

    [Fact]
    public void A_fragmented_tunnel_packet_is_not_opened()
    {
        byte[] gre = Gre0(Ipv4Type, InnerPing);
        Layers(
            Ipv4(Gre, OuterClient, OuterServer, gre[..48], id: 3, moreFragments: true),
            LinkType.Raw,
            OuterIpv4(Gre, 68) with { IsFragment = true, MoreFragments = true, FragmentId = 3 });
    }

    private static IpLayer OuterIpv4(byte protocol, uint ipBytes) => new()
    {
        IpVersion = 4,
        Protocol = protocol,
        Source = Address(OuterClient),
        Destination = Address(OuterServer),
        IpBytes = ipBytes,
    };

    private static byte[] PatchedLength(byte[] ipv6, int payloadLength)
    {
        byte[] bytes = [.. ipv6];
        bytes[4] = (byte)(payloadLength >> 8);
        bytes[5] = (byte)payloadLength;
        return bytes;
    }
}
