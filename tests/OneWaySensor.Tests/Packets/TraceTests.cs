using OneWaySensor.Packets;

namespace OneWaySensor.Tests.Packets;

/// <summary>
/// Every packet of every Zeek trace parses, and the layers found show the
/// flows Zeek logged, with Zeek's packet and IP byte counts: the link layers
/// (VLAN, QinQ, MPLS, PPPoE, FabricPath, radiotap) and tunnels (GRE, PPTP,
/// VXLAN, Teredo) decode, and lengths come from the headers (retransmit-fast009
/// has packets cut to 54 bytes).
/// </summary>
public sealed class TraceTests
{
    private const string TeredoTrace = "traces/tunnels/Teredo.pcap";

    /// <summary>
    /// Zeek confirms Teredo by watching a UDP flow, then decodes it on any port;
    /// the stateless parser decodes Teredo on port 3544 only (any port would
    /// misread ordinary UDP). This TCP flow travelled only through the relay
    /// 83.170.1.38:32900, so it stays inside that UDP flow, which is shown.
    /// </summary>
    private const string TeredoThroughRelay = "tcp 2001:0:4137:9e50:8000:f12a:b9c8:2815 1286 2001:4860:0:2001::68 80";

    /// <summary>The same relay carried this ping's reply: the request (through the server on 3544) is shown, the reply is not.</summary>
    private const string TeredoPingReplyThroughRelay = "icmp 2001:0:4137:9e50:8000:f12a:b9c8:2815 128 2001:4860:0:2001::68 129";

    private static readonly Dictionary<string, string[]> NotShown = new()
    {
        [TeredoTrace] = [TeredoThroughRelay],
    };

    private static readonly Dictionary<string, string[]> NotCountable = new()
    {
        [TeredoTrace] = [TeredoThroughRelay, TeredoPingReplyThroughRelay],
    };

    public static TheoryData<string> Traces => [.. ZeekTraces.All()];

    [Theory]
    [MemberData(nameof(Traces))]
    public void Every_packet_parses_and_the_layers_show_every_flow_Zeek_logged(string trace)
    {
        TraceLayers read = TraceLayers.Read(trace);
        Assert.True(read.Count(PacketParseResult.Ip) > 0);
        Assert.Equal(0, read.Count(PacketParseResult.Truncated) + read.Count(PacketParseResult.Malformed) + read.Count(PacketParseResult.UnknownLinkType));

        string[] notShown = NotShown.GetValueOrDefault(trace) ?? [];
        string[] missing = [.. ZeekTraces.Flows(trace)
            .Where(flow => !notShown.Contains(flow.Text) && !read.Shows(FlowTuple.Of(flow)))
            .Select(flow => flow.Text)];
        Assert.Empty(missing);

        // the exclusions stay honest: each is a flow Zeek logged that the layers really do not show
        foreach (string text in notShown)
        {
            Assert.False(read.Shows(FlowTuple.Of(Assert.Single(ZeekTraces.Flows(trace), flow => flow.Text == text))));
        }
    }

    /// <summary>
    /// Where a 5-tuple is one flow in Zeek's table, the parser's layers of that
    /// tuple add up to Zeek's packets and IP bytes. Tuples Zeek split into
    /// several connections (retries, flips, ICMP flows that share addresses)
    /// cannot be divided without Zeek's state, so they are left out.
    /// </summary>
    [Theory]
    [MemberData(nameof(Traces))]
    public void Packets_and_IP_bytes_add_up_to_Zeeks_for_flows_with_their_own_tuple(string trace)
    {
        TraceLayers read = TraceLayers.Read(trace);
        IReadOnlyList<ZeekFlow> flows = ZeekTraces.Flows(trace);
        string[] notCountable = NotCountable.GetValueOrDefault(trace) ?? [];
        ZeekFlow[] ownTuple = [.. flows.Where(flow => flows.Count(other => FlowTuple.Of(other) == FlowTuple.Of(flow)) == 1 && !notCountable.Contains(flow.Text))];

        string[] different = [.. ownTuple
            .Where(flow => read.Totals(FlowTuple.Of(flow)) != (flow.Packets, flow.IpBytes))
            .Select(flow => $"{flow.Text}: Zeek {flow.Packets} packets {flow.IpBytes} bytes, parser {read.Totals(FlowTuple.Of(flow))}")];
        Assert.Empty(different);
        foreach (string text in notCountable)
        {
            ZeekFlow flow = Assert.Single(flows, flow => flow.Text == text);
            Assert.NotEqual((flow.Packets, flow.IpBytes), read.Totals(FlowTuple.Of(flow)));
        }
    }

    [Fact]
    public void The_packets_of_the_bad_checksum_trace_with_good_checksums_are_the_ones_Zeek_counted()
    {
        // Zeek read this trace verifying checksums: the client's six packets have bad TCP checksums and were dropped
        TraceLayers read = TraceLayers.Read("traces/chksums/localhost-bad-chksum.pcap", skipBadChecksums: true);
        ZeekFlow counted = Assert.Single(ZeekTraces.Flows("traces/chksums/localhost-bad-chksum.pcap"), flow => flow.Packets > 0);

        Assert.Equal(6, read.BadChecksums);
        Assert.Equal((counted.Packets, counted.IpBytes), read.Totals(FlowTuple.Of(counted)));
        Assert.Equal((4L, 604L), read.Totals(FlowTuple.Of(counted)));
    }
}
