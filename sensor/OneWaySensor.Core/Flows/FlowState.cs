namespace OneWaySensor.Flows;

/// <summary>
/// Everything the sensor knows of one flow. Stored by value in
/// <see cref="FlowTable"/>, so tracking a flow costs no object of its own.
/// </summary>
public struct FlowState
{
    public FlowKey Key;

    /// <summary>Totals since the sensor first saw the flow, across source restarts of it.</summary>
    public FlowCounters Tx;
    public FlowCounters Rx;
    public byte TxTcpFlags;
    public byte RxTcpFlags;
    public FlowInitiator Initiator;
    public long FirstSeenUnixNs;
    public long LastSeenUnixNs;

    /// <summary>The process that owns the local socket, when the source knows it.</summary>
    public Processes.ProcessRef Owner;

    /// <summary>The source's last cumulative reading, to turn the next one into a delta.</summary>
    internal FlowCounters SourceTx;
    internal FlowCounters SourceRx;

    /// <summary>When the source's current entry for the flow began: tells one incarnation from the next.</summary>
    internal long SourceFirstSeenUnixNs;
    internal long SeenInPoll;

    /// <summary>What the last periodic flow summary already counted of <see cref="Tx"/> and <see cref="Rx"/>.</summary>
    internal FlowCounters SummarizedTx;
    internal FlowCounters SummarizedRx;
    internal bool MissingFromSource;
}
