namespace OneWaySensor.Detection;

/// <summary>
/// What the detections remember of one flow between polls: its destination
/// and its place in that destination's list of flows, so that a changed flow
/// costs one lookup, and the outbound payload it had, so that only new bytes
/// feed the burst series. It outlives the flow (until swept), so a flow that
/// comes back is not a new connection.
/// </summary>
internal struct FlowMemo
{
    public DestinationState? Destination;
    public ulong TxPayloadBytes;

    /// <summary>The engine's placement (bumped by a full regroup) the flow is listed in; 0 when in no list.</summary>
    public long Placement;

    /// <summary>Its index in <see cref="DestinationState.Flows"/> while placed.</summary>
    public int Index;
}
