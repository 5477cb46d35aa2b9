using OneWaySensor.Flows;

namespace OneWaySensor.Alerts;

/// <summary>Another destination of the same workload, for the responder's picture.</summary>
public sealed record DestinationSummary(string Protocol, string Address, int Port, int Flows, FlowCounters Tx, FlowCounters Rx, long LastSeenUnixNs);

/// <summary>The evidence a responder verifies an alert with (ADS "Response").</summary>
public sealed record AlertContext(IReadOnlyList<FlowState> Flows, IReadOnlyList<DestinationSummary> OtherDestinations)
{
    /// <summary>The ADS's response steps, in its words' order.</summary>
    public static readonly IReadOnlyList<string> ResponseSteps =
    [
        "Verify the alert: cross-reference the flagged activity with known application behaviour and scheduled tasks.",
        "Isolate the container if suspicious: onewaysensor isolate <container>.",
        "Investigate the network traffic: look at the outbound connections for exfiltration or command-and-control patterns.",
        "Review the logs: the container's recent runtime and exec events (response.recent_runtime_events) and its process_exec lines on the sensor's output.",
    ];
}
