using System.Globalization;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Detection.Scoring;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Rules;

/// <summary>
/// beacon: periodic outbound contact to one destination, scored as RITA
/// scores beacons (<see cref="BeaconScorer"/>), over two kinds of contact:
/// each new connection, and each burst of bytes after silence inside
/// long-lived flows. The more periodic of the two decides.
/// </summary>
internal static class BeaconRule
{
    public static Candidate? Evaluate(DestinationState destination, BeaconScorer scorer, RuleContext context)
    {
        int minimum = context.Options.Beacon.MinimumContacts;
        if (destination.Flows.Count == 0 || (destination.Connections.Count < minimum && destination.Bursts.Count < minimum))
        {
            return null;
        }

        BeaconScore connections = destination.Connections.Count >= minimum
            ? destination.Connections.Score(scorer, destination.FirstSeenUnixNs, context.NowUnixNs)
            : BeaconScore.TooFew(destination.Connections.Count);
        BeaconScore bursts = destination.Bursts.Count >= minimum
            ? destination.Bursts.Score(scorer, destination.FirstSeenUnixNs, context.NowUnixNs)
            : BeaconScore.TooFew(destination.Bursts.Count);
        (BeaconScore best, string kind) = connections.Score >= bursts.Score ? (connections, "connections") : (bursts, "bursts in a long-lived flow");
        if (best.Score < context.Options.Beacon.ScoreThreshold)
        {
            return null;
        }

        FlowState latest = destination.Flows.MaxBy(flow => flow.LastSeenUnixNs);
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{RuleContext.Protocol(destination.Key)} to {RuleContext.Endpoint(destination.Key)} beacons every {best.IntervalSeconds:0.#} s ({best.Contacts} {kind}, score {best.Score:0.00})");
        var evidence = new JsonObject
        {
            ["interval_seconds"] = Math.Round(best.IntervalSeconds, 3),
            ["contacts"] = best.Contacts,
            ["score"] = Math.Round(best.Score, 3),
            ["contact_kind"] = kind,
            ["timestamp_score"] = Math.Round(best.TimestampScore, 3),
            ["size_score"] = Math.Round(best.SizeScore, 3),
            ["coverage_score"] = Math.Round(best.CoverageScore, 3),
            ["interval_jitter_seconds"] = Math.Round(best.IntervalMadSeconds, 3),
            ["threshold"] = context.Options.Beacon.ScoreThreshold,
        };
        return new Candidate(RuleIds.Beacon, AlertPriority.High, destination.Key, latest, summary, evidence, destination.Flows.ToList());
    }
}
