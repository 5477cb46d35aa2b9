using System.Globalization;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Rules;

/// <summary>
/// one_way_flow: flows to one destination that carried outbound payload and
/// no inbound payload for the whole window. One alert per destination, not
/// per ephemeral port; the evidence counts the flows behind it.
/// </summary>
internal static class OneWayFlowRule
{
    public static bool IsOneWay(in FlowState flow, long nowUnixNs, long windowNs) =>
        flow.Tx.PayloadBytes > 0 && flow.Rx.PayloadBytes == 0 && nowUnixNs - flow.FirstSeenUnixNs >= windowNs;

    /// <summary>Whether the rule fires for the destination, and the candidate's latest flow and last activity, without building it.</summary>
    public static bool Peek(DestinationState destination, RuleContext context, out FlowState latest, out long activity)
    {
        bool fires = false;
        latest = default;
        activity = 0;
        foreach (FlowState flow in destination.Flows)
        {
            if (!IsOneWay(flow, context.NowUnixNs, context.WindowNs))
            {
                continue;
            }

            if (!fires || flow.FirstSeenUnixNs > latest.FirstSeenUnixNs)
            {
                latest = flow;
            }

            activity = Math.Max(activity, flow.LastSeenUnixNs);
            fires = true;
        }

        return fires;
    }

    public static Candidate? Evaluate(DestinationState destination, RuleContext context)
    {
        List<FlowState> oneWay = destination.Flows.Where(flow => IsOneWay(flow, context.NowUnixNs, context.WindowNs)).ToList();
        if (oneWay.Count == 0)
        {
            return null;
        }

        FlowState latest = oneWay.MaxBy(flow => flow.FirstSeenUnixNs);
        ulong txPayload = (ulong)oneWay.Sum(flow => (decimal)flow.Tx.PayloadBytes);
        ulong txPackets = (ulong)oneWay.Sum(flow => (decimal)flow.Tx.Packets);
        double observed = (context.NowUnixNs - oneWay.Min(flow => flow.FirstSeenUnixNs)) / (double)UnixTime.NanosecondsPerSecond;
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{RuleContext.Protocol(destination.Key)} to {RuleContext.Endpoint(destination.Key)}: {oneWay.Count} flow(s) sent {txPayload} payload bytes in {txPackets} packets and received no payload in {observed:0.#} s");
        var evidence = new JsonObject
        {
            ["window_seconds"] = context.WindowSeconds,
            ["observed_seconds"] = Math.Round(observed, 3),
            ["one_way_flows"] = oneWay.Count,
            ["flows_to_destination"] = destination.Flows.Count,
            ["tx_payload_bytes"] = txPayload,
            ["tx_packets"] = txPackets,
            ["tx_tcp_flags"] = latest.TxTcpFlags,
            ["rx_tcp_flags"] = latest.RxTcpFlags,
        };
        return new Candidate(RuleIds.OneWayFlow, AlertPriority.High, destination.Key, latest, summary, evidence, oneWay);
    }
}
