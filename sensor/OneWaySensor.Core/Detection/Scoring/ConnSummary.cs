using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// A connection as Zeek's conn.log sees it: originator and responder rather
/// than the sensor's local and remote, since conn_state is defined in those
/// terms.
/// </summary>
public readonly record struct ConnSummary(FlowProtocol Protocol, ConnSide Orig, ConnSide Resp)
{
    /// <summary>
    /// The summary of a tracked flow. The originator is the side that sent the
    /// opening packet: the local socket when <see cref="FlowState.Initiator"/>
    /// is <see cref="FlowInitiator.Local"/> (so orig is Tx and resp is Rx),
    /// the remote one otherwise (swapped).
    /// </summary>
    public static ConnSummary FromFlow(in FlowState flow)
    {
        var local = new ConnSide(flow.Tx.Packets, flow.Tx.PayloadBytes, flow.TxTcpFlags);
        var remote = new ConnSide(flow.Rx.Packets, flow.Rx.PayloadBytes, flow.RxTcpFlags);
        return flow.Initiator == FlowInitiator.Local
            ? new ConnSummary(flow.Key.Protocol, local, remote)
            : new ConnSummary(flow.Key.Protocol, remote, local);
    }
}
