using OneWaySensor.Packets;
using static OneWaySensor.Tests.Packets.Bytes;
using static OneWaySensor.Tests.Packets.IpPacketBuilder;
using static OneWaySensor.Tests.Packets.LayerAssert;

namespace OneWaySensor.Tests.Packets;

/// <summary>IP and transport headers: lengths from the headers, fragments, IPv6 extension chains, and headers that contradict themselves.</summary>
public sealed class IpLayerTests
{
    private const string Client = "192.0.2.1";
    private const string Server = "198.51.100.7";
    private const string Client6 = "2001:db8::1";
    private const string Server6 = "2001:db8::2";

    [Fact]
    public void IPv4_options_move_the_transport_header()
    {
        byte[] packet = Ipv4(Tcp, Client, Server, TcpSegment(40000, 80, 7, 0, 0x02, [], optionsLength: 12), id: 9, optionsLength: 8);
        Layers(packet, LinkType.Raw, new IpLayer
        {
            IpVersion = 4,
            Protocol = Tcp,
            Source = Address(Client),
            Destination = Address(Server),
            SourcePort = 40000,
            DestinationPort = 80,
            IpBytes = 28 + 32,
            PayloadBytes = 0,
            TcpFlags = 0x02,
            TcpSequence = 7,
            HasTransportHeader = true,
            FragmentId = 9,
        });
    }

    [Fact]
    public void A_packet_cut_by_the_snap_length_counts_its_full_size()
    {
        // like tcp/retransmit-fast009.pcap: 54 bytes captured of a 1500-byte frame
        byte[] frame = LinkFrameBuilder.Ethernet(LinkFrameBuilder.Ipv4Type, Ipv4(Tcp, Client, Server, TcpSegment(50368, 80, 100, 200, 0x10, Pattern(1448), optionsLength: 12)))[..54];
        Layers(frame, LinkType.Ethernet, new IpLayer
        {
            IpVersion = 4,
            Protocol = Tcp,
            Source = Address(Client),
            Destination = Address(Server),
            SourcePort = 50368,
            DestinationPort = 80,
            IpBytes = 1500,
            PayloadBytes = 1448,
            TcpFlags = 0x10,
            TcpSequence = 100,
            TcpAcknowledgment = 200,
            HasTransportHeader = true,
            FragmentId = 0x4242,
        });
    }

    [Fact]
    public void A_transport_header_cut_short_leaves_the_IP_layer_without_ports()
    {
        byte[] packet = Ipv4(Tcp, Client, Server, TcpSegment(40000, 80, 7, 0, 0x02, Pattern(100)))[..(20 + 19)];
        Layers(packet, LinkType.Raw, new IpLayer
        {
            IpVersion = 4,
            Protocol = Tcp,
            Source = Address(Client),
            Destination = Address(Server),
            IpBytes = 140,
            FragmentId = 0x4242,
        });
    }

    [Fact]
    public void IPv4_fragments_carry_the_transport_header_in_the_first_only_and_their_payloads_add_up()
    {
        byte[] datagram = UdpDatagram(5000, 6000, Pattern(1000));
        byte[] first = Ipv4(Udp, Client, Server, datagram[..200], id: 777, moreFragments: true);
        byte[] last = Ipv4(Udp, Client, Server, datagram[200..], id: 777, fragmentOffset: 200);

        // the first fragment's UDP length (1008) covers the whole datagram, more than the fragment holds
        Layers(first, LinkType.Raw, new IpLayer
        {
            IpVersion = 4,
            Protocol = Udp,
            Source = Address(Client),
            Destination = Address(Server),
            SourcePort = 5000,
            DestinationPort = 6000,
            IpBytes = 220,
            PayloadBytes = 192,
            HasTransportHeader = true,
            IsFragment = true,
            MoreFragments = true,
            FragmentId = 777,
        });
        Layers(last, LinkType.Raw, new IpLayer
        {
            IpVersion = 4,
            Protocol = Udp,
            Source = Address(Client),
            Destination = Address(Server),
            IpBytes = 20 + 808,
            PayloadBytes = 808,
            IsFragment = true,
            FragmentOffset = 200,
            FragmentId = 777,
        });
    }

    [Fact]
    public void A_first_fragment_too_small_for_its_TCP_header_is_a_fragment_without_ports()
    {
        byte[] segment = TcpSegment(1234, 80, 1, 0, 0x02, Pattern(40), optionsLength: 20);
        Layers(Ipv4(Tcp, Client, Server, segment[..16], id: 5, moreFragments: true), LinkType.Raw, new IpLayer
        {
            IpVersion = 4,
            Protocol = Tcp,
            Source = Address(Client),
            Destination = Address(Server),
            IpBytes = 36,
            IsFragment = true,
            MoreFragments = true,
            FragmentId = 5,
        });
        Layers(Ipv4(Tcp, Client, Server, segment[..32], id: 5, moreFragments: true), LinkType.Raw, new IpLayer
        {
            IpVersion = 4,
            Protocol = Tcp,
            Source = Address(Client),
            Destination = Address(Server),
            IpBytes = 52,
            IsFragment = true,
            MoreFragments = true,
            FragmentId = 5,
        });
    }

    [Fact]
    public void An_IPv6_extension_chain_is_walked_to_the_transport_header()
    {
        byte[] packet = Ipv6(
            Tcp,
            Client6,
            Server6,
            TcpSegment(443, 51000, 10, 20, 0x11, Pattern(30)),
            Ipv6Extension.HopByHop(16),
            Ipv6Extension.Routing(0, "2001:db8::99"),
            Ipv6Extension.DestinationOptions(),
            Ipv6Extension.Authentication());
        Layers(packet, LinkType.Raw, new IpLayer
        {
            IpVersion = 6,
            Protocol = Tcp,
            Source = Address(Client6),
            Destination = Address(Server6),
            SourcePort = 443,
            DestinationPort = 51000,
            IpBytes = (uint)(40 + 16 + 24 + 8 + 24 + 20 + 30),
            PayloadBytes = 30,
            TcpFlags = 0x11,
            TcpSequence = 10,
            TcpAcknowledgment = 20,
            HasTransportHeader = true,
        });
    }

    [Fact]
    public void IPv6_fragments_read_the_fragment_header()
    {
        byte[] datagram = UdpDatagram(53, 33000, Pattern(3000));
        byte[] first = Ipv6(Udp, Server6, Client6, datagram[..1232], Ipv6Extension.HopByHop(), Ipv6Extension.Fragment(0, more: true, 0xDEADBEEF));
        byte[] last = Ipv6(Udp, Server6, Client6, datagram[2464..], Ipv6Extension.Fragment(2464, more: false, 0xDEADBEEF));
        Layers(first, LinkType.Raw, new IpLayer
        {
            IpVersion = 6,
            Protocol = Udp,
            Source = Address(Server6),
            Destination = Address(Client6),
            SourcePort = 53,
            DestinationPort = 33000,
            IpBytes = 40 + 8 + 8 + 1232,
            PayloadBytes = 1224,
            HasTransportHeader = true,
            IsFragment = true,
            MoreFragments = true,
            FragmentId = 0xDEADBEEF,
        });
        Layers(last, LinkType.Raw, new IpLayer
        {
            IpVersion = 6,
            Protocol = Udp,
            Source = Address(Server6),
            Destination = Address(Client6),
            IpBytes = 40 + 8 + 544,
            PayloadBytes = 544,
            IsFragment = true,
            FragmentOffset = 2464,
            FragmentId = 0xDEADBEEF,
        });
    }

    [Fact]
    public void An_IPv6_later_fragment_does_not_read_its_data_as_headers()
    {
        // the fragment header names destination options, which travelled in the first fragment: this one holds only data
        byte[] packet = Ipv6(60, Server6, Client6, Concat([6, 200], Pattern(30)), Ipv6Extension.Fragment(1232, more: false, 7));
        Layers(packet, LinkType.Raw, new IpLayer
        {
            IpVersion = 6,
            Protocol = 60,
            Source = Address(Server6),
            Destination = Address(Client6),
            IpBytes = 40 + 8 + 32,
            IsFragment = true,
            FragmentOffset = 1232,
            FragmentId = 7,
        });
    }

    [Fact]
    public void An_IPv6_atomic_fragment_is_not_a_fragment()
    {
        byte[] packet = Ipv6(Udp, Client6, Server6, UdpDatagram(1000, 2000, Pattern(4)), Ipv6Extension.Fragment(0, more: false, 42));
        PacketLayers layers = Parse(packet, LinkType.Raw);
        Assert.False(layers.Layers[0].IsFragment);
        Assert.True(layers.Layers[0].HasTransportHeader);
        Assert.Equal(42u, layers.Layers[0].FragmentId);
    }

    [Fact]
    public void IPv6_with_no_next_header_has_no_transport()
    {
        Layers(Ipv6(59, Client6, Server6, [], Ipv6Extension.DestinationOptions()), LinkType.Raw, new IpLayer
        {
            IpVersion = 6,
            Protocol = 59,
            Source = Address(Client6),
            Destination = Address(Server6),
            IpBytes = 48,
        });
    }

    [Theory]
    [InlineData(1008, 1000)] // consistent
    [InlineData(108, 100)] // shorter than the IP payload: trailing bytes are not UDP data
    [InlineData(2000, 1000)] // past the IP payload: the IP length rules
    [InlineData(4, 1000)] // shorter than its own header
    public void UDP_payload_comes_from_the_UDP_length_unless_it_contradicts_IP(int udpLength, uint expectedPayload)
    {
        byte[] datagram = UdpDatagram(68, 67, Pattern(1000));
        datagram[4] = (byte)(udpLength >> 8);
        datagram[5] = (byte)udpLength;
        PacketLayers layers = Parse(Ipv4(Udp, Client, Server, datagram), LinkType.Raw);
        Assert.Equal(expectedPayload, layers.Layers[0].PayloadBytes);
        Assert.Equal(1028u, layers.Layers[0].IpBytes);
    }

    [Fact]
    public void ICMP_type_and_code_stand_in_for_ports()
    {
        Layers(Ipv4(Icmp, Client, Server, IcmpMessage(3, 3, Pattern(28))), LinkType.Raw, new IpLayer
        {
            IpVersion = 4,
            Protocol = Icmp,
            Source = Address(Client),
            Destination = Address(Server),
            SourcePort = 3,
            DestinationPort = 3,
            IpBytes = 56,
            PayloadBytes = 28,
            HasTransportHeader = true,
            FragmentId = 0x4242,
        });
        Layers(Ipv6(IcmpV6, Client6, Server6, IcmpMessage(128, 0, Pattern(56))), LinkType.Raw, new IpLayer
        {
            IpVersion = 6,
            Protocol = IcmpV6,
            Source = Address(Client6),
            Destination = Address(Server6),
            SourcePort = 128,
            DestinationPort = 0,
            IpBytes = 104,
            PayloadBytes = 56,
            HasTransportHeader = true,
        });
    }

    [Fact]
    public void Other_protocols_have_no_ports_and_no_counted_payload()
    {
        Layers(Ipv4(132, Client, Server, Pattern(60)), LinkType.Raw, new IpLayer
        {
            IpVersion = 4,
            Protocol = 132,
            Source = Address(Client),
            Destination = Address(Server),
            IpBytes = 80,
            FragmentId = 0x4242,
        });
    }

    [Fact]
    public void A_zero_IPv4_length_from_segmentation_offload_takes_the_captured_length()
    {
        byte[] packet = Ipv4(Tcp, Client, Server, TcpSegment(40000, 443, 1, 1, 0x18, Pattern(3000)));
        packet[2] = 0;
        packet[3] = 0;
        PacketLayers layers = Parse(packet, LinkType.Raw);
        Assert.Equal(3040u, layers.Layers[0].IpBytes);
        Assert.Equal(3000u, layers.Layers[0].PayloadBytes);
    }

    [Fact]
    public void A_zero_IPv6_length_with_hop_by_hop_options_takes_the_captured_length()
    {
        byte[] packet = Ipv6(Tcp, Client6, Server6, TcpSegment(40000, 443, 1, 1, 0x18, Pattern(70000 - 48 - 20)), Ipv6Extension.HopByHop());
        packet[4] = 0;
        packet[5] = 0;
        PacketLayers layers = Parse(packet, LinkType.Raw);
        Assert.Equal(70000u, layers.Layers[0].IpBytes);
        Assert.Equal(70000u - 48 - 20, layers.Layers[0].PayloadBytes);
    }

    public static TheoryData<string, byte[]> Contradictions() => new()
    {
        { "IHL under 5", [0x44, .. Ipv4(Tcp, Client, Server, TcpSegment(1, 2, 0, 0, 0x02, []))[1..]] },
        { "total length under the header length", Patched(Ipv4(Tcp, Client, Server, TcpSegment(1, 2, 0, 0, 0x02, [])), 3, 19) },
        { "TCP data offset under 5", Patched(Ipv4(Tcp, Client, Server, TcpSegment(1, 2, 0, 0, 0x02, [])), 20 + 12, 0x40) },
        { "TCP header longer than the IP payload", Patched(Ipv4(Tcp, Client, Server, TcpSegment(1, 2, 0, 0, 0x02, [])), 20 + 12, 0xF0) },
        { "IPv6 extension header past the payload length", Patched(Ipv6(Tcp, Client6, Server6, TcpSegment(1, 2, 0, 0, 0x02, []), Ipv6Extension.HopByHop()), 41, 9) },
        { "IPv6 payload length shorter than an extension header", Patched(Ipv6(Tcp, Client6, Server6, TcpSegment(1, 2, 0, 0, 0x02, []), Ipv6Extension.HopByHop()), 5, 4) },
    };

    [Theory]
    [MemberData(nameof(Contradictions))]
    public void Headers_that_contradict_themselves_are_malformed(string what, byte[] packet)
    {
        PacketLayers layers = Parse(packet, LinkType.Raw, PacketParseResult.Malformed);
        Assert.True(layers.IsEmpty, what);
    }

    private static byte[] Patched(byte[] bytes, int offset, byte value)
    {
        bytes[offset] = value;
        return bytes;
    }
}
