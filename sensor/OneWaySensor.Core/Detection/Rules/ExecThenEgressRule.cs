using System.Globalization;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Containers;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Rules;

/// <summary>
/// exec_then_egress: a destination the container had not contacted before,
/// first contacted shortly after an exec into the container. The same exec
/// also raises the priority of any other alert on that container's flows
/// that began within the same span (see <see cref="Annotate"/>).
/// </summary>
internal static class ExecThenEgressRule
{
    /// <remarks>
    /// Judged on every poll while the destination is younger than the span,
    /// not only on the poll that first saw it: the exec's runtime event comes
    /// through the engine's stream and may arrive a poll after the packets.
    /// </remarks>
    public static Candidate? Evaluate(DestinationState destination, Workload workload, ExecTracker execs, RuleContext context)
    {
        long spanNs = context.Options.ExecThenEgress.WithinSeconds * UnixTime.NanosecondsPerSecond;
        if (destination.ExecReported || workload.Container is null || context.NowUnixNs - destination.FirstSeenUnixNs > spanNs + context.WindowNs)
        {
            return null; // before the list: every destination of every poll comes here, and most stop here
        }

        // the oldest flow the container opened: judged on every poll of a young destination, so without a list
        FlowState first = default;
        bool any = false;
        foreach (FlowState flow in destination.Flows)
        {
            if (flow.Initiator == FlowInitiator.Local && (!any || flow.FirstSeenUnixNs < first.FirstSeenUnixNs))
            {
                first = flow;
                any = true;
            }
        }

        // the destination's first contact ever, not merely the oldest flow still in the table
        if (!any || first.FirstSeenUnixNs > destination.FirstSeenUnixNs || ExecFor(first, workload, execs, context) is not RuntimeEvent exec)
        {
            return null;
        }

        destination.ExecReported = true;

        double after = (UnixTime.ToDateTimeOffset(first.FirstSeenUnixNs) - exec.Time).TotalSeconds;
        string command = exec.Command ?? "(the engine did not say)";
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"new destination {RuleContext.Protocol(destination.Key)} {RuleContext.Endpoint(destination.Key)} contacted {Math.Max(after, 0):0.#} s after an exec into the container: {command}");
        var evidence = new JsonObject
        {
            ["exec_command"] = exec.Command,
            ["exec_time"] = Output.OutputJson.FormatTime(exec.Time),
            ["seconds_after_exec"] = Math.Round(Math.Max(after, 0), 3),
            ["within_seconds"] = context.Options.ExecThenEgress.WithinSeconds,
        };
        return new Candidate(RuleIds.ExecThenEgress, AlertPriority.High, destination.Key, first, summary, evidence, [first]);
    }

    /// <summary>Raises a candidate to critical and names the exec, when its flow began shortly after one.</summary>
    public static Candidate Annotate(Candidate candidate, Workload workload, ExecTracker execs, RuleContext context)
    {
        if (candidate.Rule == RuleIds.ExecThenEgress || workload.Container is null || ExecFor(candidate.Flow, workload, execs, context) is not RuntimeEvent exec)
        {
            return candidate;
        }

        JsonObject evidence = (JsonObject)candidate.Evidence.DeepClone();
        evidence["exec_command"] = exec.Command;
        evidence["exec_time"] = Output.OutputJson.FormatTime(exec.Time);
        return candidate with { Priority = AlertPriority.Critical, Evidence = evidence, Summary = $"{candidate.Summary}; after an exec into the container: {exec.Command ?? "(command unknown)"}" };
    }

    private static RuntimeEvent? ExecFor(in FlowState flow, Workload workload, ExecTracker execs, RuleContext context) =>
        execs.ExecBefore(workload.Container!.Id, UnixTime.ToDateTimeOffset(flow.FirstSeenUnixNs), TimeSpan.FromSeconds(context.Options.ExecThenEgress.WithinSeconds));
}
