using System.Globalization;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Detection.Rules;
using OneWaySensor.Flows;
using OneWaySensor.Output;

namespace OneWaySensor.Detection.Baseline;

/// <summary>
/// baseline_deviation: an image that has finished learning sends one-way to
/// a destination it never used while learning (see <see cref="BaselineModel.Evaluate"/>).
/// High priority, or medium for an image that commonly sent one-way while
/// learning (<see cref="BaselineOptions.CommonOneWayShare"/>: a log shipper
/// or telemetry agent, the ADS's named false positives).
/// </summary>
public static class BaselineRule
{
    public const string RuleName = "baseline_deviation";

    /// <summary>
    /// Judges one destination of one workload; null when there is nothing to
    /// say (no image, still learning, a known destination, not one-way).
    /// Call once per destination per poll, after <see cref="BaselineModel.Learn"/>
    /// has seen this poll's flows.
    /// </summary>
    internal static Candidate? Evaluate(BaselineModel model, string? image, DestinationKey destination, IReadOnlyList<FlowState> flows, long nowUnixNs)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (image is null || model.Evaluate(image, destination, flows, nowUnixNs) is not BaselineFinding finding)
        {
            return null;
        }

        BaselineOptions options = model.Options;
        IReadOnlyList<FlowState> oneWay = finding.OneWayFlows;
        FlowState latest = oneWay[0];
        long firstSeen = latest.FirstSeenUnixNs;
        ulong txPayload = 0;
        ulong txPackets = 0;
        foreach (FlowState flow in oneWay)
        {
            latest = flow.FirstSeenUnixNs > latest.FirstSeenUnixNs ? flow : latest;
            firstSeen = Math.Min(firstSeen, flow.FirstSeenUnixNs);
            txPayload += flow.Tx.PayloadBytes;
            txPackets += flow.Tx.Packets;
        }

        bool common = finding.OneWayShare >= options.CommonOneWayShare;
        AlertPriority priority = common ? AlertPriority.Medium : AlertPriority.High;
        double observed = (nowUnixNs - firstSeen) / (double)UnixTime.NanosecondsPerSecond;
        double learned = (finding.LearnedUntilUnixNs - finding.LearnedSinceUnixNs) / (double)UnixTime.NanosecondsPerSecond;
        string what = finding.Match == BaselineMatch.Port
            ? $"{RuleContext.Protocol(destination)} port {destination.RemotePort}"
            : "destination";
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{RuleContext.Protocol(destination)} to {RuleContext.Endpoint(destination)}: new {what} for image {finding.Image} (not among {Known(finding)} learned in {Duration(learned)}); {oneWay.Count} flow(s) sent {txPayload} payload bytes and received none in {observed:0.#} s");

        var ratios = new JsonObject();
        // the shape of the image's outbound flows while learning comes from the model's copy, not the finding
        if (model.Images.TryGetValue(finding.Image, out ImageBaseline? baseline))
        {
            for (int i = 0; i < TxRxRatios.Count; i++)
            {
                ratios[TxRxRatios.Names[i]] = baseline.RatioCount((TxRxRatio)i);
            }
        }

        var evidence = new JsonObject
        {
            ["image"] = finding.Image,
            ["match"] = finding.Match == BaselineMatch.Port ? "port" : "destination",
            ["one_way_flows"] = oneWay.Count,
            ["flows_to_destination"] = flows.Count,
            ["tx_payload_bytes"] = txPayload,
            ["tx_packets"] = txPackets,
            ["observed_seconds"] = Math.Round(observed, 3),
            ["minimum_one_way_seconds"] = options.MinimumOneWaySeconds,
            ["baseline"] = new JsonObject
            {
                ["learned_since"] = OutputJson.FormatTime(UnixTime.ToDateTimeOffset(finding.LearnedSinceUnixNs)),
                ["learned_until"] = OutputJson.FormatTime(UnixTime.ToDateTimeOffset(finding.LearnedUntilUnixNs)),
                ["flows_observed"] = finding.FlowsObserved,
                ["outbound_flows"] = finding.OutboundFlows,
                ["known_destinations"] = finding.KnownDestinations,
                ["known_ports"] = finding.KnownPorts,
                ["destinations_dropped"] = finding.DestinationsDropped,
                ["port_known"] = finding.PortKnown,
                ["one_way_share"] = Math.Round(finding.OneWayShare, 4),
                ["common_one_way_share"] = options.CommonOneWayShare,
                ["tx_rx_ratios"] = ratios,
            },
        };
        return new Candidate(RuleName, priority, destination, latest, summary, evidence, oneWay);
    }

    private static string Known(BaselineFinding finding) => finding.Match == BaselineMatch.Port
        ? string.Create(CultureInfo.InvariantCulture, $"{finding.KnownPorts} port(s)")
        : string.Create(CultureInfo.InvariantCulture, $"{finding.KnownDestinations} destination(s)");

    private static string Duration(double seconds) => seconds switch
    {
        >= 86_400 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 86_400:0.#} d"),
        >= 3600 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0.#} h"),
        >= 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.#} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.#} s"),
    };
}
