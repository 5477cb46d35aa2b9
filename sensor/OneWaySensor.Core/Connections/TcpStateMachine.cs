using OneWaySensor.Detection.Scoring;
using OneWaySensor.Packets;

namespace OneWaySensor.Connections;

/// <summary>
/// One TCP segment's effect on its connection, following the behaviour of
/// Zeek's TCP analyzer: the sender's sequence space, the history letters,
/// and the endpoint states conn_state is computed from.
/// </summary>
internal static class TcpStateMachine
{
    private const int TooLargeSequenceDelta = 1 << 20;

    public static void Packet(ref Connection connection, in IpLayer segment, bool fromOriginator, ConnectionTracker tracker)
    {
        byte flags = segment.TcpFlags;
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool fin = (flags & TcpFlags.Fin) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        uint length = segment.PayloadBytes;
        uint seq = segment.TcpSequence;

        // SYN and FIN take a sequence number each; a RST's data is not part of the stream
        uint segmentLength = (uint)(length + (syn ? 1 : 0) + (fin ? 1 : 0) - (rst ? length : 0));
        uint end = seq + segmentLength;

        if (fromOriginator)
        {
            connection.OrigFlags |= flags;
        }
        else
        {
            connection.RespFlags |= flags;
        }

        ref TcpEndpoint sender = ref fromOriginator ? ref connection.Orig : ref connection.Resp;
        ref TcpEndpoint peer = ref fromOriginator ? ref connection.Resp : ref connection.Orig;
        InitSender(ref sender, syn, seq, end);
        uint relative = seq - sender.StartSeq;
        AddHistory(ref connection.History, ref sender, fromOriginator, syn, fin, rst, ack, relative, length);
        if (fin)
        {
            sender.FinCount++;
        }

        if (ack)
        {
            AcknowledgePeer(ref peer, segment.TcpAcknowledgment, rst);
        }

        if (UpdateLastSeq(ref sender, end, syn, fin, rst, length))
        {
            // a retransmission: 'T', then again at 10, 100, ... (Zeek's scaled history)
            sender.Retransmits++;
            if (IsPowerOfTen(sender.Retransmits))
            {
                connection.History.Add(fromOriginator ? 'T' : 't');
            }
        }

        switch (sender.State)
        {
            case EndpointState.Inactive:
                Inactive(ref connection, ref sender, ref peer, fromOriginator, syn, fin, rst, ack, length, seq, tracker);
                break;
            case EndpointState.SynSent or EndpointState.SynAckSent:
                if (fin)
                {
                    sender.SetState(EndpointState.Closed);
                }

                if (rst)
                {
                    sender.SetState(EndpointState.Reset);
                }

                break;
            case EndpointState.Established or EndpointState.Partial:
                Established(ref sender, ref peer, syn, fin, rst, ack);
                break;
            case EndpointState.Closed:
                if (rst && peer.State != EndpointState.Closed)
                {
                    sender.SetState(EndpointState.Reset);
                }

                break;
        }
    }

    /// <summary>Where the sender's sequence space begins: its SYN, or, seen midway, as though a SYN came just before.</summary>
    private static void InitSender(ref TcpEndpoint sender, bool syn, uint seq, uint end)
    {
        switch (sender.State)
        {
            case EndpointState.Inactive:
                if (syn)
                {
                    sender.InitSequence(seq, end);
                }
                else
                {
                    sender.InitSequence(seq - 1, seq);
                }

                break;
            case EndpointState.SynSent or EndpointState.SynAckSent when syn && seq != sender.StartSeq:
            case EndpointState.Established or EndpointState.Partial when syn:
            case EndpointState.Reset when syn && sender.PreviousState == EndpointState.Inactive:
                sender.InitSequence(seq, end);
                break;
        }
    }

    private static void AddHistory(ref ConnectionHistory history, ref TcpEndpoint sender, bool fromOriginator, bool syn, bool fin, bool rst, bool ack, uint relative, uint length)
    {
        int controls = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
        if (controls > 1)
        {
            if (fin && rst)
            {
                history.Check(HistoryKind.FinRst, fromOriginator, 'I');
            }
            else
            {
                history.Check(HistoryKind.MultiFlag, fromOriginator, 'Q');
            }

            return;
        }

        if (controls == 0)
        {
            if (length > 0)
            {
                history.Check(HistoryKind.Data, fromOriginator, 'D');
            }
            else if (ack)
            {
                history.Check(HistoryKind.Ack, fromOriginator, 'A');
            }

            return;
        }

        // a control letter repeats when the packet is a new one, not a retransmission of the last
        if (syn)
        {
            char code = ack ? 'H' : 'S';
            if (history.Check(HistoryKind.Syn, fromOriginator, code) && relative != sender.LastSynSeq)
            {
                history.Add(fromOriginator ? code : char.ToLowerInvariant(code));
            }

            sender.LastSynSeq = relative;
        }

        if (fin)
        {
            // a FIN's place is after the data it carries
            if (history.Check(HistoryKind.Fin, fromOriginator, 'F') && relative + length != sender.LastFinSeq)
            {
                history.Add(fromOriginator ? 'F' : 'f');
            }

            sender.LastFinSeq = relative + length;
        }

        if (rst)
        {
            if (history.Check(HistoryKind.Rst, fromOriginator, 'R') && relative != sender.LastRstSeq)
            {
                history.Add(fromOriginator ? 'R' : 'r');
            }

            sender.LastRstSeq = relative;
        }
    }

    /// <summary>An acknowledgment tells where the peer's sequence space is, even before the peer is seen.</summary>
    private static void AcknowledgePeer(ref TcpEndpoint peer, uint acknowledgment, bool rst)
    {
        if (peer.State == EndpointState.Inactive)
        {
            // a peer never heard from: each acknowledgment says afresh where its sequence space is
            peer.InitSequence(acknowledgment - 1, acknowledgment - 1);
            return;
        }

        // acknowledgments in a RST are not trusted; an ack of 0 far ahead is more likely broken than a wrap
        int delta = TcpEndpoint.SequenceDelta(acknowledgment, peer.AckSeq);
        if (!rst && delta > 0 && !(acknowledgment == 0 && delta > TooLargeSequenceDelta))
        {
            peer.AckSeq = acknowledgment;
        }
    }

    /// <summary>Moves the sender's highest sequence number on; true when the segment was a retransmission of data.</summary>
    private static bool UpdateLastSeq(ref TcpEndpoint sender, uint end, bool syn, bool fin, bool rst, uint length)
    {
        int delta = TcpEndpoint.SequenceDelta(end, sender.LastSeq);
        if ((syn || rst) && (delta > TooLargeSequenceDelta || delta < -TooLargeSequenceDelta))
        {
            return false; // an outlandish SYN or RST sequence number is not believed
        }

        if (fin && sender.LastSeq == sender.StartSeq + 1)
        {
            sender.LastSeq = end; // only the SYN and the FIN seen (a connection of more than 2 GB, say)
            return false;
        }

        if (sender.State == EndpointState.Reset)
        {
            return false; // nothing after a reset is trusted
        }

        if (delta > 0)
        {
            sender.LastSeq = end;
            return false;
        }

        return length > 0;
    }

    private static void Inactive(ref Connection connection, ref TcpEndpoint sender, ref TcpEndpoint peer, bool fromOriginator, bool syn, bool fin, bool rst, bool ack, uint length, uint seq, ConnectionTracker tracker)
    {
        if (syn)
        {
            if (fromOriginator)
            {
                sender.SetState(ack ? EndpointState.SynAckSent : EndpointState.SynSent);
            }
            else
            {
                if (!ack && peer.State == EndpointState.SynAckSent && seq == sender.StartSeq)
                {
                    // a SYN answering a SYN-ACK: the two were seen the wrong way round
                    tracker.FlipRoles(ref connection);
                    ref TcpEndpoint now = ref connection.Orig;
                    now.SetState(EndpointState.Established);
                    connection.Resp.SetState(EndpointState.Established);
                    ApplyFinRst(ref connection.Resp, fin, rst);
                    return;
                }

                if (peer.State == EndpointState.SynSent)
                {
                    peer.SetState(EndpointState.Established);
                }

                sender.SetState(EndpointState.Established);
            }
        }

        ApplyFinRst(ref sender, fin, rst);
        if (sender.State == EndpointState.Inactive)
        {
            // some stacks ack a SYN before answering it: that alone makes no partial connection
            if (!fromOriginator && length == 0 && connection.Orig.State == EndpointState.SynSent)
            {
                return;
            }

            // a SYN-ACK was seen and now a pure ACK: the SYN was missed, the connection is up
            sender.SetState(ack && peer.State == EndpointState.Established ? EndpointState.Established : EndpointState.Partial);
        }
    }

    private static void ApplyFinRst(ref TcpEndpoint sender, bool fin, bool rst)
    {
        if (fin)
        {
            sender.SetState(EndpointState.Closed);
        }

        if (rst)
        {
            sender.SetState(EndpointState.Reset);
        }
    }

    private static void Established(ref TcpEndpoint sender, ref TcpEndpoint peer, bool syn, bool fin, bool rst, bool ack)
    {
        if (syn && sender.State == EndpointState.Partial && peer.State == EndpointState.Inactive && !ack)
        {
            sender.SetState(EndpointState.SynSent);
        }

        if (fin && !rst)
        {
            sender.SetState(EndpointState.Closed);
            if (peer.State == EndpointState.Reset && peer.PreviousState == EndpointState.Closed)
            {
                peer.SetState(EndpointState.Closed); // a FIN then a RST from the peer was a normal close
            }
        }

        if (rst)
        {
            sender.SetState(EndpointState.Reset);
        }
    }

    private static bool IsPowerOfTen(uint count) => count is 1 or 10 or 100 or 1000 or 10_000 or 100_000 or 1_000_000;
}
