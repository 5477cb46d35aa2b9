using OneWaySensor.Packets;
using static OneWaySensor.Tests.Packets.Bytes;
using static OneWaySensor.Tests.Packets.IpPacketBuilder;
using static OneWaySensor.Tests.Packets.LinkFrameBuilder;
using static OneWaySensor.Tests.Packets.TunnelBuilder;

namespace OneWaySensor.Tests.Packets;

/// <summary>Frames cut at every length, or with any byte changed, are read without exceptions, and never past their end.</summary>
public sealed class DamagedFrameTests
{
    private static readonly Dictionary<string, (LinkType Link, byte[] Frame)> TunnelFrames = new()
    {
        ["GRE in IPv6 in VLAN"] = (LinkType.Ethernet, Ethernet(0x8100, VlanTag(100, Ipv6Type), Ipv6(Gre, "2001:db8::1", "2001:db8::2", Gre0(Ipv4Type, Ipv4(Tcp, "10.0.0.1", "10.0.0.2", TcpSegment(1, 2, 3, 4, 0x10, Pattern(5))), key: true, sequence: true)))),
        ["PPTP GRE"] = (LinkType.Ethernet, Ethernet(Ipv4Type, Ipv4(Gre, "16.0.0.200", "192.52.166.154", PptpGre(Ppp(0x0021, Ipv4(Udp, "172.16.44.3", "8.8.8.8", UdpDatagram(40768, 53, Pattern(9)))), acknowledgment: true)))),
        ["GRE bridging"] = (LinkType.Raw, Ipv4(Gre, "1.1.1.1", "2.2.2.2", Gre0(TransparentEthernetBridging, Ethernet(Ipv6Type, Ipv6(Udp, "2001:db8::1", "2001:db8::2", UdpDatagram(1, 2, Pattern(3))))))),
        ["VXLAN"] = (LinkType.Ethernet, Ethernet(Ipv4Type, Ipv4(Udp, "192.168.56.11", "192.168.56.12", UdpDatagram(48134, 4789, Vxlan(Ethernet(Ipv4Type, Ipv4(Icmp, "10.0.0.1", "10.0.0.2", IcmpMessage(8, 0, Pattern(8))))))))),
        ["Teredo with both headers"] = (LinkType.Ethernet, Ethernet(Ipv4Type, Ipv4(Udp, "65.55.158.80", "192.168.2.16", UdpDatagram(3544, 3797, Teredo(Ipv6(IcmpV6, "fe80::1", "ff02::2", IcmpMessage(133, 0, Pattern(8))), authentication: true, originIndication: true))))),
        ["6in4 with an IPv6 extension chain"] = (LinkType.LinuxSll2, LinuxSll2(Ipv4Type, Ipv4(41, "192.0.2.1", "192.0.2.2", Ipv6(Tcp, "2001:db8::1", "2001:db8::2", TcpSegment(1, 2, 3, 4, 0x02, []), Ipv6Extension.HopByHop(), Ipv6Extension.Routing(0, "2001:db8::3"), Ipv6Extension.Fragment(0, false, 1), Ipv6Extension.Authentication())))),
    };

    public static TheoryData<string> Frames => [.. LinkLayerTests.Framings.Keys, .. TunnelFrames.Keys];

    [Theory]
    [MemberData(nameof(Frames))]
    public void A_frame_cut_at_any_length_is_truncated_or_keeps_the_layers_it_fully_has(string name)
    {
        (LinkType link, byte[] frame) = Frame(name);
        var whole = default(PacketLayers);
        Assert.Equal(PacketParseResult.Ip, PacketParser.Parse(frame, link, ref whole, verifyChecksums: true));

        for (int length = 0; length < frame.Length; length++)
        {
            // a copy of exactly this length: reading past it would throw
            byte[] cut = frame[..length];
            var layers = default(PacketLayers);
            PacketParseResult result = PacketParser.Parse(cut, link, ref layers, verifyChecksums: true);

            Assert.True(result is PacketParseResult.Truncated or PacketParseResult.Ip, $"{length} bytes: {result}");
            Assert.Equal(result == PacketParseResult.Ip, layers.Count > 0);
            Assert.InRange(layers.Count, 0, whole.Count);
            for (int i = 0; i < layers.Count; i++)
            {
                // what a cut packet reports comes from its headers: the same sizes as the whole one
                IpLayer expected = whole.Layers[i];
                IpLayer actual = layers.Layers[i];
                Assert.Equal(expected.Protocol, actual.Protocol);
                Assert.Equal(expected.Source, actual.Source);
                Assert.Equal(expected.Destination, actual.Destination);
                Assert.Equal(expected.IpBytes, actual.IpBytes);
                Assert.False(actual.ChecksumChecked && !actual.ChecksumValid, $"{length} bytes: a cut packet is not a bad checksum");
                if (actual.HasTransportHeader)
                {
                    Assert.Equal(expected.PayloadBytes, actual.PayloadBytes);
                    Assert.Equal(expected.SourcePort, actual.SourcePort);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void A_frame_with_any_byte_changed_is_read_without_exceptions(string name)
    {
        (LinkType link, byte[] frame) = Frame(name);
        int ip = 0;
        for (int position = 0; position < frame.Length; position++)
        {
            foreach (byte value in new byte[] { 0x00, 0x01, 0x06, 0x29, 0x2F, 0x45, 0x60, 0x7F, 0x80, 0xAA, 0xFF })
            {
                byte[] changed = [.. frame];
                changed[position] = value;
                var layers = default(PacketLayers);
                PacketParseResult result = PacketParser.Parse(changed, link, ref layers, verifyChecksums: true);
                Assert.Equal(result == PacketParseResult.Ip, layers.Count > 0);
                ip += result == PacketParseResult.Ip ? 1 : 0;
            }
        }

        Assert.True(ip > 0);
    }

    [Fact]
    public void Random_bytes_under_every_link_type_are_read_without_exceptions()
    {
        var random = new Random(20240501);
        LinkType[] links = [.. Enum.GetValues<LinkType>()];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] frame = new byte[random.Next(0, 200)];
            random.NextBytes(frame);
            var layers = default(PacketLayers);
            PacketParseResult result = PacketParser.Parse(frame, links[i % links.Length], ref layers, verifyChecksums: true);
            Assert.Equal(result == PacketParseResult.Ip, layers.Count > 0);
            Assert.InRange(layers.Count, 0, IpLayers.MaxDepth);
        }
    }

    private static (LinkType Link, byte[] Frame) Frame(string name) =>
        LinkLayerTests.Framings.TryGetValue(name, out var framing) ? (framing.Link, framing.Frame) : TunnelFrames[name];
}
