using OneWaySensor.Connections;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// Names a flow's state in Zeek's conn.log <c>conn_state</c> vocabulary.
/// It follows Zeek's own <c>conn_state</c> function (base/protocols/conn/main.zeek)
/// branch for branch, fed with endpoint states estimated from OR'd flags
/// (<see cref="TcpEndpoint.Infer"/>). Where the flags cannot tell what Zeek's
/// packet order tells, the branch says what is assumed. One more limit: a
/// <see cref="FlowState"/> keeps its flags across the source's restarts of the
/// same 5-tuple, so a tuple reused by a second connection classifies as the
/// union of both.
/// </summary>
public static class ConnStateClassifier
{
    /// <summary>The conn_state of a tracked flow.</summary>
    public static ConnState Classify(in FlowState flow) => Classify(ConnSummary.FromFlow(flow));

    /// <summary>The conn_state of a summary.</summary>
    public static ConnState Classify(in ConnSummary summary) => summary.Protocol switch
    {
        FlowProtocol.Tcp => ClassifyTcp(summary.Orig, summary.Resp),

        // Zeek has this rule for UDP only and logs every ICMP flow as OTH;
        // the sensor applies the UDP rule to ICMP too, because OTH for all
        // ICMP would hide exactly the one-way ICMP flows it looks for.
        FlowProtocol.Udp or FlowProtocol.Icmp or FlowProtocol.IcmpV6 => ClassifyDatagram(summary.Orig, summary.Resp),
        _ => ConnState.OTH,
    };

    /// <summary>
    /// Zeek's UDP rule: S0 when only the originator sent, SF when both did,
    /// SHR when only the responder did, OTH when neither did.
    /// </summary>
    private static ConnState ClassifyDatagram(in ConnSide orig, in ConnSide resp) =>
        (orig.Active, resp.Active) switch
        {
            (true, true) => ConnState.SF,
            (true, false) => ConnState.S0,
            (false, true) => ConnState.SHR,
            (false, false) => ConnState.OTH,
        };

    private static ConnState ClassifyTcp(in ConnSide orig, in ConnSide resp)
    {
        EndpointState os = TcpEndpoint.Infer(orig, resp, isOrig: true);
        EndpointState rs = TcpEndpoint.Infer(orig, resp, isOrig: false);

        // Zeek asks its history for "^?S[^HAFGIQ]*R": the originator's SYN and
        // later RST with no ACK or FIN of its own between. The flags say only
        // that the originator sent a SYN, a RST and no FIN (a FIN cannot follow
        // a RST, so any FIN came between and fails Zeek's pattern too). An
        // originator ACK is not held against it: with no order, the ACK may
        // ride on the RST itself, as it does on most RSTs.
        bool synThenReset = orig.Has(TcpFlags.Syn) && !orig.Has(TcpFlags.Fin);
        return ZeekConnState.Tcp(os, rs, orig.PayloadBytes == 0 && resp.PayloadBytes == 0, synThenReset);
    }
}
