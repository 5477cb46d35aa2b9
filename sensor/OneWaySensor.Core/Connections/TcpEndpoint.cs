namespace OneWaySensor.Connections;

/// <summary>
/// One side of a TCP connection as Zeek tracks it: its state, and the
/// sequence space it used (start, highest sent, highest the peer acked),
/// from which its payload size is taken, so retransmissions and captures
/// cut short do not change the count.
/// </summary>
public struct TcpEndpoint
{
    public EndpointState State;
    public EndpointState PreviousState;
    public uint StartSeq;
    public uint LastSeq;
    public uint AckSeq;
    public uint FinCount;
    public uint LastSynSeq;
    public uint LastFinSeq;
    public uint LastRstSeq;
    public uint Retransmits;
    public bool SeqInitialized;

    public void SetState(EndpointState state)
    {
        PreviousState = State;
        State = state;
    }

    public void InitSequence(uint start, uint last)
    {
        StartSeq = start;
        AckSeq = start;
        LastSeq = last;
        SeqInitialized = true;
    }

    /// <summary>Payload bytes: the sequence space from start to the furthest of sent and acknowledged, less SYN and FIN.</summary>
    public readonly ulong Size(in TcpEndpoint peer)
    {
        if (!SeqInitialized)
        {
            return 0;
        }

        // a half-open attempt that was aborted: its sequence numbers say nothing about data
        if (PreviousState == EndpointState.SynSent && State == EndpointState.Reset && peer.State == EndpointState.Inactive && AckSeq == StartSeq)
        {
            return 0;
        }

        uint last = SequenceDelta(LastSeq, AckSeq) > 0 ? LastSeq : AckSeq;
        long size = SequenceDelta(last, StartSeq);
        if (size <= 0)
        {
            return 0;
        }

        size--; // the SYN, or the place of one on a connection seen midway
        if (FinCount > 0 && size > 0)
        {
            size--;
        }

        return (ulong)size;
    }

    /// <summary>The signed distance from <paramref name="from"/> to <paramref name="to"/> in 32-bit sequence space.</summary>
    public static int SequenceDelta(uint to, uint from) => unchecked((int)(to - from));
}
