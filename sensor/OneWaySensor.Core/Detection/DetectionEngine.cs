using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    private readonly Dictionary<DestinationKey, DestinationState> destinations = [];
    private readonly Dictionary<FlowKey, FlowMemo> flowMemos = [];
    private readonly Dictionary<ulong, long> cgroupFirstSeen = [];
    private readonly Dictionary<string, ulong> alertsByRule = [];
    private readonly Dictionary<ulong, Queue<Alert>> recentAlerts = [];

    // the destinations with flows, by cgroup, kept up to date as they gain and lose flows: an alert's
    // context and silent_listener look at one cgroup, and a scan of every destination per alert was quadratic
    private readonly Dictionary<ulong, List<DestinationState>> byCgroup = [];

    // the table's change log, taken each poll, and the destinations with new outbound bytes in it
    private readonly List<FlowKey> changedFlows = [];
    private readonly List<FlowKey> removedFlows = [];
    private readonly List<DestinationState> pendingBursts = [];

    /// <summary>Bumped by a full regroup: a memo placed in an older one is in no list.</summary>
    private long placement = 1;

    // reused across polls, so that a poll in which nothing new happens allocates nothing
    private readonly List<FlowState> listenerFlows = [];
    private readonly List<DestinationState> silent = [];
    private const int RecentAlertsPerCgroup = 20;

    /// <summary>How long a silent destination's contacts are kept: beacons up to an hour apart still line up.</summary>
    private const long DestinationMemoryNs = 6 * 3600 * UnixTime.NanosecondsPerSecond;

    /// <summary>Destinations remembered at most; past it the longest silent are forgotten first.</summary>
    private const int MaxDestinations = 100_000;

    /// <summary>Flows in the table at this poll: per-flow memory beyond twice this is swept.</summary>
    private int groupedFlows;

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
        Group(table, nowUnixNs);
        Learn(nowUnixNs);
        candidates.Clear();
        refusedFailures.Clear();
        foreach (DestinationState destination in destinations.Values)
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

        foreach (DestinationState destination in destinations.Values)
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

    /// <summary>
    /// Brings each destination's flows up to date with the table and feeds
    /// the contact series. From the table's change log (the flows changed and
    /// forgotten since the last poll), so a flow that did not change costs
    /// nothing; by regrouping every flow when the log is incomplete (the
    /// first poll, or a log that overflowed).
    /// </summary>
    private void Group(FlowTable table, long nowUnixNs)
    {
        changedFlows.Clear();
        removedFlows.Clear();
        groupedFlows = table.Count;
        if (table.TakeChanges(changedFlows, removedFlows))
        {
            foreach (FlowKey key in removedFlows)
            {
                Unplace(key);
            }

            foreach (FlowKey key in changedFlows)
            {
                if (table.TryGet(key, out FlowState flow))
                {
                    Place(flow);
                }
            }
        }
        else
        {
            Regroup(table);
        }

        long silenceNs = options.Beacon.SilenceSeconds * UnixTime.NanosecondsPerSecond;
        foreach (DestinationState destination in pendingBursts)
        {
            destination.Bursts.ObserveActivity(nowUnixNs, destination.PendingTxBytes, silenceNs);
            destination.PendingTxBytes = 0;
        }

        pendingBursts.Clear();
    }

    /// <summary>Every destination's flows from scratch: every memo's place in a list is stale from here on.</summary>
    private void Regroup(FlowTable table)
    {
        placement++;
        foreach (DestinationState destination in destinations.Values)
        {
            destination.Flows.Clear();
        }

        byCgroup.Clear();
        foreach (FlowState flow in table.Flows)
        {
            Place(flow);
        }
    }

    /// <summary>Puts the flow's state in its destination's list (new, or in its place there) and feeds the destination's series.</summary>
    private void Place(in FlowState flow)
    {
        // the one lookup per changed flow: its memo remembers the flow's destination and its place in that list
        ref FlowMemo memo = ref CollectionsMarshal.GetValueRefOrAddDefault(flowMemos, flow.Key, out bool known);
        DestinationState? destination = memo.Destination;
        if (destination is null || destination.Forgotten)
        {
            destination = DestinationOf(flow);
            memo.Destination = destination;
            memo.Placement = 0;
        }

        if (memo.Placement == placement)
        {
            destination.Flows[memo.Index] = flow;
        }
        else
        {
            memo.Placement = placement;
            memo.Index = destination.Flows.Count;
            destination.Flows.Add(flow);
            if (destination.Flows.Count == 1)
            {
                Activate(destination);
            }
        }

        destination.FirstSeenUnixNs = Math.Min(destination.FirstSeenUnixNs, flow.FirstSeenUnixNs);
        destination.LastSeenUnixNs = Math.Max(destination.LastSeenUnixNs, flow.LastSeenUnixNs);
        if (!known && flow.Initiator == FlowInitiator.Local)
        {
            destination.Connections.AddContact(flow.FirstSeenUnixNs, flow.Tx.PayloadBytes);
        }

        ulong fresh = flow.Tx.PayloadBytes - Math.Min(memo.TxPayloadBytes, flow.Tx.PayloadBytes);
        if (fresh > 0)
        {
            if (destination.PendingTxBytes == 0)
            {
                pendingBursts.Add(destination);
            }

            destination.PendingTxBytes += fresh;
        }

        memo.TxPayloadBytes = flow.Tx.PayloadBytes;
    }

    /// <summary>Takes a flow the table forgot out of its destination's list; its memo stays, so it is known if it comes back.</summary>
    private void Unplace(in FlowKey key)
    {
        ref FlowMemo memo = ref CollectionsMarshal.GetValueRefOrNullRef(flowMemos, key);
        if (Unsafe.IsNullRef(ref memo) || memo.Placement != placement)
        {
            return;
        }

        memo.Placement = 0;
        DestinationState destination = memo.Destination!;
        List<FlowState> flows = destination.Flows;
        int last = flows.Count - 1;
        if (memo.Index != last)
        {
            // the last flow takes the gap; looking up another key leaves this ref valid
            flows[memo.Index] = flows[last];
            CollectionsMarshal.GetValueRefOrNullRef(flowMemos, flows[memo.Index].Key).Index = memo.Index;
        }

        flows.RemoveAt(last);
        if (flows.Count == 0)
        {
            Deactivate(destination);
        }
    }

    /// <summary>The flow's destination, made when new; the first flow of a cgroup also dates it.</summary>
    private DestinationState DestinationOf(in FlowState flow)
    {
        var key = DestinationKey.Of(flow.Key);
        ref DestinationState? destination = ref CollectionsMarshal.GetValueRefOrAddDefault(destinations, key, out _);
        destination ??= new DestinationState(key);
        cgroupFirstSeen.TryAdd(flow.Key.CgroupId, flow.FirstSeenUnixNs);
        return destination;
    }

    /// <summary>A destination with its first flow joins its cgroup's list in <see cref="byCgroup"/>.</summary>
    private void Activate(DestinationState destination)
    {
        ref List<DestinationState>? list = ref CollectionsMarshal.GetValueRefOrAddDefault(byCgroup, destination.Key.CgroupId, out _);
        list ??= [];
        destination.CgroupIndex = list.Count;
        list.Add(destination);
    }

    /// <summary>A destination left without flows leaves its cgroup's list; a cgroup left without any, the index.</summary>
    private void Deactivate(DestinationState destination)
    {
        List<DestinationState> list = byCgroup[destination.Key.CgroupId];
        int last = list.Count - 1;
        if (destination.CgroupIndex != last)
        {
            list[destination.CgroupIndex] = list[last];
            list[destination.CgroupIndex].CgroupIndex = destination.CgroupIndex;
        }

        list.RemoveAt(last);
        if (list.Count == 0)
        {
            byCgroup.Remove(destination.Key.CgroupId);
        }
    }

    private void EvaluateListeners(RuleContext context)
    {
        foreach ((ulong cgroupId, List<DestinationState> cgroup) in byCgroup)
        {
            Workload workload = workloads.Describe(cgroupId);
            if (workload.Metadata is null || workload.Metadata.PublishedPorts.Count == 0)
            {
                continue;
            }

            long observedSince = cgroupFirstSeen.GetValueOrDefault(cgroupId, context.NowUnixNs);
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
        List<(DestinationSummary Destination, IReadOnlyList<FlowState> Flows)> found = destinations.Values
            .Where(d => d.Key.CgroupId == cgroupId && d.Active)
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
        List<DestinationSummary> others = byCgroup.GetValueOrDefault(candidate.Destination.CgroupId, [])
            .Where(d => d.Key != candidate.Destination)
            .OrderByDescending(d => d.LastSeenUnixNs)
            .Take(10)
            .Select(Summarize)
            .ToList();
        return new AlertContext(candidate.Flows.OrderByDescending(flow => flow.LastSeenUnixNs).Take(10).ToList(), others);
    }

    /// <summary>
    /// Destinations silent for longer than <see cref="DestinationMemoryNs"/>
    /// (their contacts are kept that long, so a beacon slower than the flow
    /// idle timeout is still scored), the oldest past <see cref="MaxDestinations"/>,
    /// and per-flow memory of flows gone.
    /// </summary>
    private void Forget(long nowUnixNs)
    {
        // only a destination without flows can be forgotten: past its memory, or the longest silent past the limit
        silent.Clear();
        foreach (DestinationState destination in destinations.Values)
        {
            if (!destination.Active)
            {
                silent.Add(destination);
            }
        }

        int excess = destinations.Count - MaxDestinations;
        if (excess > 0)
        {
            silent.Sort(static (a, b) => a.LastSeenUnixNs.CompareTo(b.LastSeenUnixNs));
        }

        for (int i = 0; i < silent.Count; i++)
        {
            if (i < excess || nowUnixNs - silent[i].LastSeenUnixNs > DestinationMemoryNs)
            {
                // a memo still naming it finds its destination anew
                silent[i].Forgotten = true;
                destinations.Remove(silent[i].Key);
            }
        }

        if (flowMemos.Count > 2 * groupedFlows + 1024)
        {
            var live = destinations.Values.SelectMany(d => d.Flows).Select(flow => flow.Key).ToHashSet();
            foreach (FlowKey key in flowMemos.Keys.Where(key => !live.Contains(key)).ToList())
            {
                flowMemos.Remove(key);
            }
        }

        // per-cgroup memory follows the destinations remembered
        if (cgroupFirstSeen.Count + recentAlerts.Count > (2 * destinations.Count) + 1024)
        {
            var live = destinations.Keys.Select(key => key.CgroupId).ToHashSet();
            foreach (ulong cgroup in cgroupFirstSeen.Keys.Concat(recentAlerts.Keys).Where(cgroup => !live.Contains(cgroup)).ToList())
            {
                cgroupFirstSeen.Remove(cgroup);
                recentAlerts.Remove(cgroup);
            }
        }

        gate.Sweep(nowUnixNs);
    }
}
