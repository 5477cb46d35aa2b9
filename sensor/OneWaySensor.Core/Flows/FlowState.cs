namespace OneWaySensor.Flows;

/// <summary>
/// Everything the sensor knows of one flow. Stored by value in
/// <see cref="FlowTable"/>'s store, so tracking a flow costs no object of
/// its own.
/// </summary>
/// <remarks>
/// Fields are in order of use, not of meaning: first what every flow-open
/// record and every poll reading touches, then the key every look-up
/// compares, then what only a flow summary touches. With tens of thousands
/// of flows each record's state is a cache miss, and this order keeps the
/// touched part to the first four cache lines (bench/drain measures it).
/// </remarks>
public struct FlowState
{
    /// <summary>Totals since the sensor first saw the flow, across source restarts of it.</summary>
    public FlowCounters Tx;
    public FlowCounters Rx;

    /// <summary>The source's last cumulative reading, to turn the next one into a delta.</summary>
    internal FlowCounters SourceTx;
    internal FlowCounters SourceRx;

    /// <summary>When the source's current entry for the flow began: tells one incarnation from the next.</summary>
    internal long SourceFirstSeenUnixNs;
    public long LastSeenUnixNs;
    internal long SeenInPoll;

    /// <summary>The table's change generation in which the flow was last listed as changed (<see cref="FlowTable.TakeChanges"/>): read with the reading.</summary>
    internal long ChangeGeneration;

    /// <summary>The process that owns the local socket, when the source knows it.</summary>
    public Processes.ProcessRef Owner;
    public byte TxTcpFlags;
    public byte RxTcpFlags;
    internal bool MissingFromSource;
    public FlowInitiator Initiator;
    public long FirstSeenUnixNs;
    public FlowKey Key;

    /// <summary>What the last periodic flow summary already counted of <see cref="Tx"/> and <see cref="Rx"/>.</summary>
    internal FlowCounters SummarizedTx;
    internal FlowCounters SummarizedRx;
}
