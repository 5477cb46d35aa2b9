using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Rules;

/// <summary>A rule's finding before the gate (allowlists, maintenance, one per window) decides on it.</summary>
internal sealed record Candidate(
    string Rule,
    AlertPriority Priority,
    DestinationKey Destination,
    FlowState Flow,
    string Summary,
    JsonObject Evidence,
    IReadOnlyList<FlowState> Flows);

/// <summary>What every rule reads in one evaluation (a struct: one a poll costs no allocation).</summary>
internal readonly record struct RuleContext(long NowUnixNs, long WindowNs, DetectionOptions Options)
{
    public double WindowSeconds => WindowNs / (double)UnixTime.NanosecondsPerSecond;

    public static string Endpoint(DestinationKey destination) =>
        destination.IpVersion == 6 ? $"[{destination.Address}]:{destination.RemotePort}" : $"{destination.Address}:{destination.RemotePort}";

    public static string Protocol(DestinationKey destination) => AlertJsonWriter.ProtocolName(destination.Protocol);
}
