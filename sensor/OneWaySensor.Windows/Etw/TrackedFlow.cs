using OneWaySensor.Flows;
using static OneWaySensor.Detection.Scoring.TcpFlags;

namespace OneWaySensor.Windows.Etw;

/// <summary>
/// What the mapper keeps of one flow: the cumulative reading that a kernel
/// flow map keeps on Linux, built here from events. Stored by value in the
/// mapper's dictionary, so an event costs no allocation.
/// </summary>
internal struct TrackedFlow
{
    public FlowCounters Tx;
    public FlowCounters Rx;
    public byte TxTcpFlags;
    public byte RxTcpFlags;
    public FlowInitiator Initiator;

    /// <summary>A disconnect was seen: the next connect or accept on the same tuple is a new connection.</summary>
    public bool Closed;
    public long FirstSeenUnixNs;
    public long LastSeenUnixNs;

    /// <summary>
    /// A flow as its first event starts it. Connect and accept say who
    /// initiated; for UDP, whoever sent first did. A TCP flow whose first
    /// event is a send or receive was already open when the session started,
    /// and its first event's direction is only a guess at its initiator.
    /// </summary>
    public static TrackedFlow Start(in NetworkEvent first) => new()
    {
        Initiator = IsOutbound(first.Kind) ? FlowInitiator.Local : FlowInitiator.Remote,
        FirstSeenUnixNs = first.TimeUnixNs,
        LastSeenUnixNs = first.TimeUnixNs,
    };

    /// <summary>Whether the event is about something this host sent, or (for connect) started.</summary>
    public static bool IsOutbound(NetworkEventKind kind) =>
        kind is NetworkEventKind.TcpSend or NetworkEventKind.TcpConnect or NetworkEventKind.TcpRetransmit or NetworkEventKind.UdpSend;

    public static bool IsHandshake(NetworkEventKind kind) => kind is NetworkEventKind.TcpConnect or NetworkEventKind.TcpAccept;

    /// <summary>
    /// Counts one event. ETW logs a send or receive per call into or out of
    /// the transport, not per packet on the wire: one event is counted as one
    /// packet, whatever segments or datagrams it became, and its IP bytes are
    /// <see cref="HeaderEstimate"/>'s.
    /// </summary>
    public void Apply(in NetworkEvent networkEvent, FlowProtocol protocol)
    {
        var packet = new FlowCounters(1, HeaderEstimate.IpBytes(networkEvent.IpVersion, protocol, networkEvent.Size), networkEvent.Size);
        switch (networkEvent.Kind)
        {
            case NetworkEventKind.TcpSend:
            case NetworkEventKind.UdpSend:
                Tx += packet;
                break;
            case NetworkEventKind.TcpRecv:
            case NetworkEventKind.UdpRecv:
                Rx += packet;
                break;
            case NetworkEventKind.TcpRetransmit:
                // on the wire again, but the same payload: Zeek's orig_bytes
                // counts it once, so only packets and IP bytes grow
                Tx += packet with { PayloadBytes = 0 };
                break;
            case NetworkEventKind.TcpConnect:
                TxTcpFlags |= Syn;
                break;
            case NetworkEventKind.TcpAccept:
                // the peer's SYN came in and this host's stack answered it
                RxTcpFlags |= Syn;
                TxTcpFlags |= Syn | Ack;
                break;
            case NetworkEventKind.TcpDisconnect:
                // the event does not say who closed first, nor whether by
                // FIN or RST: an orderly close has FINs both ways
                TxTcpFlags |= Fin;
                RxTcpFlags |= Fin;
                Closed = true;
                break;
        }

        if (networkEvent.Kind is NetworkEventKind.TcpSend or NetworkEventKind.TcpRecv)
        {
            MarkEstablished(networkEvent.Kind);
        }

        if (networkEvent.TimeUnixNs > LastSeenUnixNs)
        {
            LastSeenUnixNs = networkEvent.TimeUnixNs;
        }
    }

    /// <summary>
    /// TCP moves data only on an established connection, so data on a flow
    /// whose opening was seen proves the handshake finished: the responder's
    /// SYN-ACK and both sides' ACKs. Whether the connect event itself is
    /// logged before or after the handshake is not documented, so it is not
    /// taken as that proof; a connection that completes and closes without
    /// data therefore still looks unanswered. On a flow picked up midstream,
    /// data only shows its sender's ACK.
    /// </summary>
    private void MarkEstablished(NetworkEventKind data)
    {
        bool openingSeen = ((TxTcpFlags | RxTcpFlags) & Syn) != 0;
        if (!openingSeen)
        {
            if (data == NetworkEventKind.TcpSend)
            {
                TxTcpFlags |= Ack;
            }
            else
            {
                RxTcpFlags |= Ack;
            }

            return;
        }

        TxTcpFlags |= Ack;
        RxTcpFlags |= Ack;
        if (Initiator == FlowInitiator.Local)
        {
            RxTcpFlags |= Syn;
        }
        else
        {
            TxTcpFlags |= Syn;
        }
    }

    public readonly FlowSample Sample(in FlowKey key) =>
        new(key, Tx, Rx, TxTcpFlags, RxTcpFlags, Initiator, FirstSeenUnixNs, LastSeenUnixNs);
}
