using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Baseline;

/// <summary>
/// A learned image sent one-way to a destination it never used while
/// learning; with what its baseline said, for the alert's evidence.
/// </summary>
/// <param name="Image">The container image.</param>
/// <param name="Destination">The destination, as the engine groups flows.</param>
/// <param name="OneWayFlows">The flows behind it: opened by the container, payload sent, none received.</param>
/// <param name="Match">How destinations were compared.</param>
/// <param name="PortKnown">Whether the image used this protocol and port while learning, to other addresses.</param>
/// <param name="KnownDestinations">Destinations in the baseline.</param>
/// <param name="KnownPorts">Protocol and port pairs in the baseline.</param>
/// <param name="FlowsObserved">Flows learned, outbound and inbound.</param>
/// <param name="OutboundFlows">Flows learned that the image's containers opened.</param>
/// <param name="OneWayShare">Share (0..1) of those that were one-way while learning.</param>
/// <param name="LearnedSinceUnixNs">When learning began.</param>
/// <param name="LearnedUntilUnixNs">When learning ended.</param>
/// <param name="DestinationsDropped">Destinations the baseline could not keep.</param>
public sealed record BaselineFinding(
    string Image,
    DestinationKey Destination,
    IReadOnlyList<FlowState> OneWayFlows,
    BaselineMatch Match,
    bool PortKnown,
    int KnownDestinations,
    int KnownPorts,
    ulong FlowsObserved,
    ulong OutboundFlows,
    double OneWayShare,
    long LearnedSinceUnixNs,
    long LearnedUntilUnixNs,
    ulong DestinationsDropped);
