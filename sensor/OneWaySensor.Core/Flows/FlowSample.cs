namespace OneWaySensor.Flows;

/// <summary>
/// A source's current reading of one flow: its counters as the source keeps
/// them (cumulative since the source began tracking the flow) and its times
/// in nanoseconds since the Unix epoch.
/// </summary>
public readonly record struct FlowSample(
    FlowKey Key,
    FlowCounters Tx,
    FlowCounters Rx,
    byte TxTcpFlags,
    byte RxTcpFlags,
    FlowInitiator Initiator,
    long FirstSeenUnixNs,
    long LastSeenUnixNs);

/// <summary>A flow's first packet, reported the moment the source first sees it, with the socket's owner where known.</summary>
public readonly record struct FlowOpening(
    FlowKey Key,
    FlowInitiator Initiator,
    bool FirstPacketOutbound,
    FlowCounters FirstPacket,
    byte TcpFlags,
    long TimeUnixNs,
    Processes.ProcessRef Owner = default);
