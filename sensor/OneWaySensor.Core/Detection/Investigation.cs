using OneWaySensor.Alerts;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection;

/// <summary>One cgroup as the detections see it now: every destination with its flows, and the recent alerts.</summary>
public sealed record Investigation(
    ulong CgroupId,
    IReadOnlyList<(DestinationSummary Destination, IReadOnlyList<FlowState> Flows)> Destinations,
    IReadOnlyList<Alert> RecentAlerts);
