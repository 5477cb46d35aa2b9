using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Containers;
using OneWaySensor.Detection.Rules;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection;

/// <summary>
/// Runs every detection of the ADS over the flow table after each poll.
/// Flows are grouped by destination (cgroup, protocol, remote address and
/// port), so ephemeral ports do not split a pattern; the groups follow the
/// table's change log, so a flow that did not change costs nothing a poll.
/// Each rule looks at a destination (or, for silent_listener, a container)
/// and proposes candidates; a suspected outage (many containers failing to
/// reach one destination at once) downgrades them; exec annotations raise
/// them; the <see cref="AlertGate"/> applies allowlists, maintenance
/// windows and one alert per (cgroup, rule, destination) per window.
/// Single-threaded (the source's thread), except <see cref="Observe"/>.
/// </summary>
public sealed class DetectionEngine
{
    private readonly long windowNs;
    private readonly DetectionOptions options;
    private readonly IWorkloadDirectory workloads;
    private readonly List<(DestinationKey Destination, Workload Workload)> refusedFailures = [];
    private readonly List<(Candidate Candidate, Workload Workload)> candidates = [];
    private readonly OutageCounter outages = new();
    private readonly IAlertSink sink;
    private readonly AlertGate gate;
    private readonly Scoring.BeaconScorer beaconScorer;
    private readonly Baseline.BaselineModel? baselines;
    private readonly Baseline.BaselinePersistence? baselineSaves;
    private readonly ExecTracker execs = new();
    private readonly ConcurrentQueue<RuntimeEvent> runtimeEvents = new();
    private readonly DestinationGroups groups = new();
    private readonly Dictionary<string, ulong> alertsByRule = [];
    private readonly Dictionary<ulong, Queue<Alert>> recentAlerts = [];

    // reused across polls, so that a poll in which nothing new happens allocates nothing
    private readonly List<FlowState> listenerFlows = [];
    private const int RecentAlertsPerCgroup = 20;

    public DetectionEngine(long windowSeconds, DetectionOptions options, IWorkloadDirectory workloads, IAlertSink sink, Baseline.BaselineModel? baselines = null, Baseline.BaselinePersistence? baselineSaves = null)
    {
        this.baselines = baselines;
        this.baselineSaves = baselineSaves;
        ArgumentNullException.ThrowIfNull(options);
        windowNs = windowSeconds * UnixTime.NanosecondsPerSecond;
        this.options = options;
        this.workloads = workloads;
        this.sink = sink;
        gate = new AlertGate(options, windowNs);
        beaconScorer = new Scoring.BeaconScorer { MinimumContacts = options.Beacon.MinimumContacts };
    }

    public ulong AlertsRaised { get; private set; }

    public IReadOnlyDictionary<string, ulong> AlertsByRule => alertsByRule;

    public SuppressionCounters Suppressions => gate.Counters;

    /// <summary>A container runtime event (exec, start, destroy); any thread.</summary>
    public void Observe(RuntimeEvent runtimeEvent) => runtimeEvents.Enqueue(runtimeEvent);

    public void Evaluate(FlowTable table, long nowUnixNs)
    {
        ArgumentNullException.ThrowIfNull(table);
        while (runtimeEvents.TryDequeue(out RuntimeEvent? runtimeEvent))
        {
            execs.Observe(runtimeEvent);
        }

        var context = new RuleContext(nowUnixNs, windowNs, options);
        groups.Update(table, nowUnixNs, options.Beacon.SilenceSeconds * UnixTime.NanosecondsPerSecond);
        Learn(nowUnixNs);
        candidates.Clear();
        refusedFailures.Clear();
        foreach (DestinationState destination in groups.All)
        {
            if (!destination.Active || destination.Key.IsMulticastOrBroadcast)
            {
                continue;
            }

            Workload workload = workloads.Describe(destination.Key.CgroupId);
            // the two failure rules fire for as long as a destination stays silent: a repeat the gate
            // refuses is counted (and kept for the outage count) without building its candidate
            if (options.OneWayFlow.Enabled && OneWayFlowRule.Peek(destination, context, out FlowState latest, out long activity)
                && !RefusedAsRepeat(RuleIds.OneWayFlow, workload, destination.Key, latest, activity, context, refusedFailures))
            {
                Propose(candidates, workload, OneWayFlowRule.Evaluate(destination, context));
            }

            if (options.UnansweredConnect.Enabled && UnansweredConnectRule.Peek(destination, context, out latest, out activity)
                && !RefusedAsRepeat(RuleIds.UnansweredConnect, workload, destination.Key, latest, activity, context, refusedFailures))
            {
                Propose(candidates, workload, UnansweredConnectRule.Evaluate(destination, context));
            }

            Propose(candidates, workload, options.Beacon.Enabled ? BeaconRule.Evaluate(destination, beaconScorer, context) : null);
            Propose(candidates, workload, options.ExecThenEgress.Enabled ? ExecThenEgressRule.Evaluate(destination, workload, execs, context) : null);
            Propose(candidates, workload, baselines is not null && options.Baseline.Enabled
                ? Baseline.BaselineRule.Evaluate(baselines, workload.Metadata?.Image, destination.Key, destination.Flows, nowUnixNs)
                : null);
        }

        if (options.SilentListener.Enabled)
        {
            EvaluateListeners(context);
        }

        Raise(context);
        Forget(nowUnixNs);
        baselineSaves?.SaveIfDue(nowUnixNs);
    }

    /// <summary>Every flow of the poll teaches its image's baseline, before any destination is judged.</summary>
    private void Learn(long nowUnixNs)
    {
        if (baselines is null || !options.Baseline.Enabled)
        {
            return;
        }

        foreach (DestinationState destination in groups.All)
        {
            if (destination.Active && workloads.Describe(destination.Key.CgroupId).Metadata?.Image is string image)
            {
                foreach (FlowState flow in destination.Flows)
                {
                    baselines.Learn(image, flow, nowUnixNs);
                }
            }
        }
    }

    private static void Propose(List<(Candidate, Workload)> candidates, Workload workload, Candidate? candidate)
    {
        if (candidate is not null)
        {
            candidates.Add((candidate, workload));
        }
    }

    private void EvaluateListeners(RuleContext context)
    {
        foreach ((ulong cgroupId, List<DestinationState> cgroup) in groups.ByCgroup)
        {
            Workload workload = workloads.Describe(cgroupId);
            if (workload.Metadata is null || workload.Metadata.PublishedPorts.Count == 0)
            {
                continue;
            }

            long observedSince = groups.CgroupFirstSeen(cgroupId) ?? context.NowUnixNs;
            if (workload.Container is not null && execs.StartedAt(workload.Container.Id) is DateTimeOffset started)
            {
                observedSince = Math.Min(observedSince, UnixTime.FromDateTimeOffset(started));
            }

            // a candidate keeps the flows it names: the list is lent to the rule, which copies what it keeps
            listenerFlows.Clear();
            foreach (DestinationState destination in cgroup)
            {
                listenerFlows.AddRange(destination.Flows);
            }

            Propose(candidates, workload, SilentListenerRule.Evaluate(workload, listenerFlows, observedSince, context));
        }
    }

    private void Raise(RuleContext context)
    {
        if (options.Outage.Enabled)
        {
            outages.Count(candidates, refusedFailures);
        }

        foreach ((Candidate proposed, Workload workload) in candidates)
        {
            Candidate candidate = options.ExecThenEgress.Enabled ? ExecThenEgressRule.Annotate(proposed, workload, execs, context) : proposed;
            JsonObject evidence = candidate.Evidence;
            AlertPriority priority = candidate.Priority;
            if (options.Outage.Enabled && IsFailure(candidate.Rule)
                && outages.Failing(candidate.Destination) is int failing && failing >= options.Outage.Containers)
            {
                // the ADS's second false positive: a temporary network fault hits every container at once
                priority = AlertPriority.Low;
                evidence["suspected_outage"] = true;
                evidence["containers_failing_same_destination"] = failing;
            }

            var subject = new AlertSubjectParts(workload, candidate.Flow.Owner, candidate.Destination);
            long activity = candidate.Flows.Count == 0 ? 0 : candidate.Flows.Max(flow => flow.LastSeenUnixNs);
            if (gate.Admit(candidate.Rule, subject, priority, context.NowUnixNs, activity) is not { } admission)
            {
                continue;
            }

            (AlertPriority admitted, int raisedBefore, int repeats, string? downgrade) = admission;

            evidence["destination"] = new JsonObject
            {
                ["proto"] = AlertJsonWriter.ProtocolName(candidate.Destination.Protocol),
                ["addr"] = candidate.Destination.IpVersion == 0 ? null : candidate.Destination.Address.ToString(),
                ["port"] = candidate.Destination.RemotePort,
            };
            evidence["times_raised_before"] = raisedBefore;
            evidence["repeats_since_last_alert"] = repeats;
            if (downgrade is not null)
            {
                evidence["downgraded"] = downgrade;
            }

            var raisedAlert = new Alert(
                UnixTime.ToDateTimeOffset(context.NowUnixNs),
                candidate.Rule,
                admitted,
                candidate.Summary,
                workload.CgroupId,
                workload.CgroupPath,
                candidate.Flow,
                evidence)
            {
                Container = workload.Container,
                ContainerMetadata = workload.Metadata,
                Context = ContextFor(candidate),
            };
            sink.Emit(raisedAlert);
            AlertsRaised++;
            alertsByRule[candidate.Rule] = alertsByRule.GetValueOrDefault(candidate.Rule) + 1;
            Remember(raisedAlert);
        }
    }

    /// <summary>
    /// What the detections know of one cgroup now (`onewaysensor investigate`):
    /// its destinations and their flows as of the last poll, and its recent alerts.
    /// </summary>
    public Investigation Investigate(ulong cgroupId)
    {
        List<(DestinationSummary Destination, IReadOnlyList<FlowState> Flows)> found = groups.ByCgroup.GetValueOrDefault(cgroupId, [])
            .OrderByDescending(d => d.LastSeenUnixNs)
            .Select(d => (Summarize(d), (IReadOnlyList<FlowState>)d.Flows.ToList()))
            .ToList();
        IReadOnlyList<Alert> alerts = recentAlerts.TryGetValue(cgroupId, out Queue<Alert>? queue) ? queue.ToList() : [];
        return new Investigation(cgroupId, found, alerts);
    }

    private void Remember(Alert alert)
    {
        if (!recentAlerts.TryGetValue(alert.CgroupId, out Queue<Alert>? queue))
        {
            queue = new Queue<Alert>();
            recentAlerts[alert.CgroupId] = queue;
        }

        queue.Enqueue(alert);
        if (queue.Count > RecentAlertsPerCgroup)
        {
            queue.Dequeue();
        }
    }

    private static DestinationSummary Summarize(DestinationState d) => new(
        AlertJsonWriter.ProtocolName(d.Key.Protocol),
        d.Key.Address.ToString(),
        d.Key.RemotePort,
        d.Flows.Count,
        d.Flows.Aggregate(default(FlowCounters), (sum, flow) => sum + flow.Tx),
        d.Flows.Aggregate(default(FlowCounters), (sum, flow) => sum + flow.Rx),
        d.LastSeenUnixNs);

    internal static bool IsFailure(string rule) => rule is RuleIds.OneWayFlow or RuleIds.UnansweredConnect;

    /// <summary>
    /// Asks the gate whether a failure rule's alert would be refused as a
    /// repeat, with the subject and activity <see cref="Raise"/> would give it;
    /// a refused one still counts towards a suspected outage.
    /// </summary>
    private bool RefusedAsRepeat(string rule, Workload workload, DestinationKey destination, in FlowState latest, long activity, RuleContext context, List<(DestinationKey, Workload)> refused)
    {
        if (!gate.RefusesRepeat(rule, new AlertSubjectParts(workload, latest.Owner, destination), context.NowUnixNs, activity))
        {
            return false;
        }

        refused.Add((destination, workload));
        return true;
    }

    private AlertContext ContextFor(Candidate candidate)
    {
        List<DestinationSummary> others = groups.ByCgroup.GetValueOrDefault(candidate.Destination.CgroupId, [])
            .Where(d => d.Key != candidate.Destination)
            .OrderByDescending(d => d.LastSeenUnixNs)
            .Take(10)
            .Select(Summarize)
            .ToList();
        return new AlertContext(candidate.Flows.OrderByDescending(flow => flow.LastSeenUnixNs).Take(10).ToList(), others);
    }

    /// <summary>What the detections remember follows the destinations and cgroups that exist.</summary>
    private void Forget(long nowUnixNs)
    {
        groups.Forget(nowUnixNs);
        if (recentAlerts.Count > (2 * groups.Count) + 1024)
        {
            HashSet<ulong> live = groups.RememberedCgroups();
            foreach (ulong cgroup in recentAlerts.Keys.Where(cgroup => !live.Contains(cgroup)).ToList())
            {
                recentAlerts.Remove(cgroup);
            }
        }

        gate.Sweep(nowUnixNs);
    }
}
