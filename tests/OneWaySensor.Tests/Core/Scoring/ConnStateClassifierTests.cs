using OneWaySensor.Detection.Scoring;
using OneWaySensor.Flows;

namespace OneWaySensor.Tests.Core.Scoring;

public sealed class ConnStateClassifierTests
{
    /// <summary>"SAF" etc. to TCP flag bits: S SYN, A ACK, F FIN, R RST, P PSH.</summary>
    private static byte Flags(string letters)
    {
        byte flags = 0;
        foreach (char letter in letters)
        {
            flags |= letter switch
            {
                'S' => TcpFlags.Syn,
                'A' => TcpFlags.Ack,
                'F' => TcpFlags.Fin,
                'R' => TcpFlags.Rst,
                'P' => TcpFlags.Psh,
                _ => throw new ArgumentException($"unknown flag {letter}", nameof(letters)),
            };
        }

        return flags;
    }

    /// <summary>A side that sent the given flags (one packet per flag, at least one if it sent payload), or nothing.</summary>
    private static ConnSide Side(string flags, ulong payload) =>
        new((ulong)flags.Length + (payload > 0 ? 1ul : 0ul), payload, Flags(flags));

    [Theory]
    // established and closed: the normal case
    [InlineData("SAPF", 120, "SAPF", 900, "SF")]
    [InlineData("SAF", 0, "SAF", 0, "SF")] // handshake and close, no data
    // attempts
    [InlineData("S", 0, "", 0, "S0")] // SYN, no reply
    [InlineData("S", 0, "A", 0, "OTH")] // the responder answers without a SYN-ACK: midstream
    [InlineData("S", 0, "SA", 0, "OTH")] // SYN-ACK never acknowledged
    [InlineData("S", 0, "RA", 0, "REJ")] // refused
    [InlineData("SR", 0, "RA", 0, "REJ")] // the originator reset too, nothing carried
    [InlineData("SAR", 10, "SAR", 0, "RSTR")] // both reset after data: the responder's counts first
    // established, not closed
    [InlineData("SAP", 500, "SA", 0, "S1")]
    [InlineData("SAP", 500, "SAP", 40, "S1")]
    // half-closes
    [InlineData("SAPF", 500, "SA", 0, "S2")] // originator closed, responder did not
    [InlineData("SA", 0, "SAPF", 500, "S3")] // responder closed, originator did not
    [InlineData("SF", 0, "", 0, "SH")] // SYN then FIN, nothing back
    [InlineData("AF", 0, "", 0, "SH")] // as Zeek: SH does not require the SYN
    [InlineData("", 0, "SAF", 0, "SHR")] // SYN-ACK then FIN, no originator seen
    [InlineData("AP", 20, "SAF", 0, "SHR")] // originator only midstream counts as inactive
    // resets
    [InlineData("SAPR", 500, "SAP", 800, "RSTO")] // originator aborted an established connection
    [InlineData("SR", 0, "SA", 0, "RSTO")] // half-open scan: SYN, SYN-ACK, RST
    [InlineData("SAP", 500, "SAPR", 800, "RSTR")] // responder aborted
    [InlineData("SAPF", 500, "SAPR", 800, "RSTR")] // originator closed, responder reset
    [InlineData("SR", 0, "", 0, "RSTOS0")] // SYN then RST, no SYN-ACK
    [InlineData("SAR", 0, "", 0, "RSTOS0")] // the ACK may ride on the RST: still RSTOS0
    [InlineData("SFR", 0, "", 0, "OTH")] // a FIN between SYN and RST fails Zeek's pattern
    [InlineData("AR", 0, "", 0, "OTH")] // midstream originator RST with a silent responder
    [InlineData("", 0, "SAR", 0, "RSTRH")] // SYN-ACK then RST, no originator seen
    [InlineData("AP", 30, "AR", 0, "RSTRH")] // midstream originator, responder reset
    // midstream and empty
    [InlineData("AP", 300, "A", 0, "OTH")]
    [InlineData("", 0, "", 0, "OTH")]
    public void Tcp_flows_get_Zeeks_conn_state(string origFlags, ulong origPayload, string respFlags, ulong respPayload, string expected)
    {
        var summary = new ConnSummary(FlowProtocol.Tcp, Side(origFlags, origPayload), Side(respFlags, respPayload));

        Assert.Equal(expected, ConnStateClassifier.Classify(summary).ToZeekString());
    }

    [Theory]
    [InlineData(FlowProtocol.Udp, 3ul, 0ul, "S0")]
    [InlineData(FlowProtocol.Udp, 3ul, 2ul, "SF")]
    [InlineData(FlowProtocol.Udp, 0ul, 2ul, "SHR")] // Zeek's UDP rule, not OTH
    [InlineData(FlowProtocol.Udp, 0ul, 0ul, "OTH")]
    [InlineData(FlowProtocol.Icmp, 5ul, 0ul, "S0")] // the UDP rule, where Zeek logs OTH for all ICMP
    [InlineData(FlowProtocol.Icmp, 5ul, 5ul, "SF")]
    [InlineData(FlowProtocol.Icmp, 0ul, 1ul, "SHR")]
    [InlineData(FlowProtocol.IcmpV6, 1ul, 0ul, "S0")]
    [InlineData(FlowProtocol.IcmpV6, 1ul, 1ul, "SF")]
    public void Datagram_flows_follow_Zeeks_udp_rule(FlowProtocol protocol, ulong origPackets, ulong respPackets, string expected)
    {
        var summary = new ConnSummary(
            protocol,
            new ConnSide(origPackets, origPackets * 100, 0),
            new ConnSide(respPackets, respPackets * 100, 0));

        Assert.Equal(expected, ConnStateClassifier.Classify(summary).ToZeekString());
    }

    [Fact]
    public void Any_count_makes_a_side_active()
    {
        Assert.False(new ConnSide(0, 0, 0).Active);
        Assert.True(new ConnSide(1, 0, 0).Active);
        Assert.True(new ConnSide(0, 1, 0).Active);
        Assert.True(new ConnSide(0, 0, TcpFlags.Syn).Active);
    }

    [Fact]
    public void A_locally_opened_flow_is_originated_by_its_tx_side()
    {
        FlowState flow = Flow(FlowInitiator.Local);

        ConnSummary summary = ConnSummary.FromFlow(flow);

        Assert.Equal(FlowProtocol.Tcp, summary.Protocol);
        Assert.Equal(new ConnSide(4, 100, Flags("SAP")), summary.Orig);
        Assert.Equal(new ConnSide(1, 0, Flags("RA")), summary.Resp);
        // the local side's SYN got a reset in answer
        Assert.Equal(ConnState.REJ, ConnStateClassifier.Classify(flow));
    }

    [Fact]
    public void A_remotely_opened_flow_is_originated_by_its_rx_side()
    {
        FlowState flow = Flow(FlowInitiator.Remote);

        ConnSummary summary = ConnSummary.FromFlow(flow);

        Assert.Equal(new ConnSide(1, 0, Flags("RA")), summary.Orig);
        Assert.Equal(new ConnSide(4, 100, Flags("SAP")), summary.Resp);

        // the same flags read the other way round: the remote originator reset after the local SYN-ACK
        Assert.Equal(ConnState.RSTO, ConnStateClassifier.Classify(flow));
    }

    [Fact]
    public void An_unanswered_local_connect_is_S0_and_a_one_way_udp_flow_is_S0()
    {
        FlowState connect = Flow(FlowInitiator.Local);
        connect.Tx = new FlowCounters(3, 180, 0);
        connect.TxTcpFlags = TcpFlags.Syn;
        connect.Rx = default;
        connect.RxTcpFlags = 0;

        FlowState udp = connect;
        udp.Key = connect.Key with { Protocol = FlowProtocol.Udp };
        udp.Tx = new FlowCounters(10, 1280, 1000);
        udp.TxTcpFlags = 0;

        Assert.Equal(ConnState.S0, ConnStateClassifier.Classify(connect));
        Assert.Equal(ConnState.S0, ConnStateClassifier.Classify(udp));
    }

    [Fact]
    public void Other_protocols_are_OTH()
    {
        var summary = new ConnSummary((FlowProtocol)132, new ConnSide(1, 1, 0), new ConnSide(1, 1, 0));

        Assert.Equal(ConnState.OTH, ConnStateClassifier.Classify(summary));
    }

    [Fact]
    public void Every_state_has_its_Zeek_spelling()
    {
        ConnState[] states = Enum.GetValues<ConnState>();

        Assert.Equal(13, states.Length);
        foreach (ConnState state in states)
        {
            Assert.Equal(state.ToString(), state.ToZeekString());
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => ((ConnState)200).ToZeekString());
    }

    private static FlowState Flow(FlowInitiator initiator) => new()
    {
        Key = new FlowKey(7, 4, FlowProtocol.Tcp, 1, 40000, 2, 443),
        Initiator = initiator,
        Tx = new FlowCounters(4, 300, 100),
        Rx = new FlowCounters(1, 40, 0),
        TxTcpFlags = Flags("SAP"),
        RxTcpFlags = Flags("RA"),
    };
}
