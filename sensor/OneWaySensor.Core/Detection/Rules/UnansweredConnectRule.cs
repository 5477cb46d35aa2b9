using System.Globalization;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Rules;

/// <summary>
/// unanswered_connect: repeated TCP connection attempts from the cgroup to
/// one destination, within the window, none of which got a SYN-ACK (refused
/// with a reset, or never answered at all).
/// </summary>
internal static class UnansweredConnectRule
{
    private const byte Syn = 0x02;

    public static bool IsUnanswered(in FlowState flow) =>
        flow.Key.Protocol == FlowProtocol.Tcp
        && flow.Initiator == FlowInitiator.Local
        && (flow.TxTcpFlags & Syn) != 0
        && (flow.RxTcpFlags & Syn) == 0;

    /// <summary>Whether the rule fires for the destination, and the candidate's latest attempt and last activity, without building it.</summary>
    public static bool Peek(DestinationState destination, RuleContext context, out FlowState latest, out long activity)
    {
        latest = default;
        activity = 0;
        if (destination.Key.Protocol != FlowProtocol.Tcp)
        {
            return false;
        }

        int attempts = 0;
        foreach (FlowState flow in destination.Flows)
        {
            if (!IsUnanswered(flow) || context.NowUnixNs - flow.FirstSeenUnixNs > context.WindowNs)
            {
                continue;
            }

            if (attempts == 0 || flow.FirstSeenUnixNs > latest.FirstSeenUnixNs)
            {
                latest = flow;
            }

            activity = Math.Max(activity, flow.LastSeenUnixNs);
            attempts++;
        }

        return attempts >= context.Options.UnansweredConnect.Attempts;
    }

    public static Candidate? Evaluate(DestinationState destination, RuleContext context)
    {
        if (destination.Key.Protocol != FlowProtocol.Tcp)
        {
            return null;
        }

        List<FlowState> attempts = destination.Flows
            .Where(flow => IsUnanswered(flow) && context.NowUnixNs - flow.FirstSeenUnixNs <= context.WindowNs)
            .ToList();
        if (attempts.Count < context.Options.UnansweredConnect.Attempts)
        {
            return null;
        }

        bool anyAnswered = destination.Flows.Any(flow => flow.Initiator == FlowInitiator.Local && (flow.RxTcpFlags & Syn) != 0);
        FlowState latest = attempts.MaxBy(flow => flow.FirstSeenUnixNs);
        bool refused = attempts.Any(flow => (flow.RxTcpFlags & 0x04) != 0);
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{attempts.Count} TCP connection attempts to {RuleContext.Endpoint(destination.Key)} in {context.WindowSeconds:0.#} s got no SYN-ACK{(refused ? " (some were reset)" : string.Empty)}");
        var evidence = new JsonObject
        {
            ["attempts"] = attempts.Count,
            ["window_seconds"] = context.WindowSeconds,
            ["threshold"] = context.Options.UnansweredConnect.Attempts,
            ["refused"] = refused,
            ["answered_before"] = anyAnswered,
            ["first_attempt"] = Output.OutputJson.FormatTime(UnixTime.ToDateTimeOffset(attempts.Min(flow => flow.FirstSeenUnixNs))),
            ["last_attempt"] = Output.OutputJson.FormatTime(UnixTime.ToDateTimeOffset(latest.FirstSeenUnixNs)),
        };
        return new Candidate(RuleIds.UnansweredConnect, AlertPriority.Medium, destination.Key, latest, summary, evidence, attempts);
    }
}
