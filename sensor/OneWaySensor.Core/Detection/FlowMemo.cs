namespace OneWaySensor.Detection;

/// <summary>
/// What the detections remember of one flow between polls: its destination,
/// so that grouping a known flow costs one lookup instead of two, and the
/// outbound payload it had, so that only new bytes feed the burst series.
/// </summary>
internal struct FlowMemo
{
    public DestinationState? Destination;
    public ulong TxPayloadBytes;
}
