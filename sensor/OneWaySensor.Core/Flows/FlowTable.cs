using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OneWaySensor.Flows;

/// <summary>
/// The one flow model every source feeds. A source reports openings as they
/// happen and, on each poll, its cumulative reading of every flow it holds;
/// the table turns readings into totals, keeps per-cgroup totals, notices
/// flows the source lost, and expires idle ones. Single-threaded: the source's
/// loop is its only caller.
/// <para>
/// Its size is bounded by <c>maxFlows</c>, not only by the idle timeout: a
/// source that evicts (the kernel's LRU map) hands over more flows than it
/// holds, and each evicted flow would otherwise stay until idle. Past the
/// limit, the longest silent of the flows the source no longer holds are
/// forgotten first, and counted (<see cref="FlowTableCounters.ForgottenAtLimit"/>).
/// Flows the source still holds are never forgotten for it, so the limit
/// should be at least the source's own capacity.
/// </para>
/// </summary>
public sealed class FlowTable
{
    private readonly FlowStore flows;
    private readonly Dictionary<ulong, CgroupTotals> cgroups = [];
    private readonly int maxFlows;
    private (long LastSeenUnixNs, FlowKey Key)[] overLimit = [];
    private long poll;
    private FlowTableCounters counters;

    // the change log for TakeChanges: flows whose state a reader sees changed, and flows forgotten
    private readonly List<FlowKey> changedLog = [];
    private readonly List<FlowKey> removedLog = [];
    private long changeGeneration = 1;
    private bool changesComplete;

    public FlowTable(int expectedFlows = 1024, int maxFlows = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFlows, 1);
        flows = new FlowStore(Math.Min(expectedFlows, maxFlows));
        this.maxFlows = maxFlows;
    }

    /// <summary>The most flows the table keeps past a poll.</summary>
    public int MaxFlows => maxFlows;

    public int Count => flows.Count;

    public FlowTableCounters Counters => counters with { Active = (ulong)flows.Count };

    public IReadOnlyDictionary<ulong, CgroupTotals> Cgroups => cgroups;

    /// <summary>A copy of one flow's state, if the table has it.</summary>
    public bool TryGet(in FlowKey key, out FlowState state)
    {
        ref FlowState found = ref flows.Find(key);
        bool exists = !Unsafe.IsNullRef(ref found);
        state = exists ? found : default;
        return exists;
    }

    /// <summary>Enumerates the flows by value; do not change the table meanwhile.</summary>
    public FlowStateCollection Flows => new(flows);

    /// <summary>The flows by reference, for the summaries' marks; valid until the table next changes.</summary>
    internal Span<FlowState> States => flows.States;

    /// <summary>A hint that a reading of this flow follows soon (<see cref="Observe"/>): its state is brought into the cache meanwhile.</summary>
    public void Prefetch(in FlowKey key) => flows.Prefetch(key);

    /// <summary>A flow's first packet, as soon as the source saw it.</summary>
    public void Open(in FlowOpening opening)
    {
        ref FlowState state = ref flows.GetOrAdd(opening.Key, out bool exists);
        FlowCounters tx = opening.FirstPacketOutbound ? opening.FirstPacket : default;
        FlowCounters rx = opening.FirstPacketOutbound ? default : opening.FirstPacket;
        if (!exists)
        {
            state.Initiator = opening.Initiator;
            state.FirstSeenUnixNs = opening.TimeUnixNs;
            CountNewFlow(opening.Key.CgroupId);
        }
        else if (opening.TimeUnixNs <= state.SourceFirstSeenUnixNs)
        {
            // a poll already read this incarnation; only the owner is news
            if (opening.Owner.Known && !state.Owner.Known)
            {
                state.Owner = opening.Owner;
                MarkChanged(ref state);
            }

            return;
        }
        else
        {
            counters.Restarted++;
        }

        if (opening.Owner.Known)
        {
            state.Owner = opening.Owner;
        }

        state.SourceTx = tx;
        state.SourceRx = rx;
        state.SourceFirstSeenUnixNs = opening.TimeUnixNs;
        state.SeenInPoll = poll;
        state.MissingFromSource = false;
        AddTraffic(ref state, tx, rx, opening.TimeUnixNs);
        if (opening.FirstPacketOutbound)
        {
            state.TxTcpFlags |= opening.TcpFlags;
        }
        else
        {
            state.RxTcpFlags |= opening.TcpFlags;
        }

        MarkChanged(ref state);
    }

    /// <summary>
    /// A flow a sensor before this one counted, found in the source at start
    /// (a pinned kernel map reused across a restart). Known from here on with
    /// the counts it has, so its one-way history carries over; that sensor
    /// reported those counts already, so they are neither summarized again
    /// nor added to the cgroup's traffic. Call before the first poll.
    /// </summary>
    public void Resume(in FlowSample sample)
    {
        ref FlowState state = ref flows.GetOrAdd(sample.Key, out bool exists);
        if (exists)
        {
            throw new InvalidOperationException("a flow is resumed once, before the table counts anything of it");
        }

        state.Initiator = sample.Initiator;
        state.FirstSeenUnixNs = sample.FirstSeenUnixNs;
        state.LastSeenUnixNs = sample.LastSeenUnixNs;
        state.Tx = state.SourceTx = state.SummarizedTx = sample.Tx;
        state.Rx = state.SourceRx = state.SummarizedRx = sample.Rx;
        state.TxTcpFlags = sample.TxTcpFlags;
        state.RxTcpFlags = sample.RxTcpFlags;
        state.SourceFirstSeenUnixNs = sample.FirstSeenUnixNs;
        state.SeenInPoll = poll;
        CountNewFlow(sample.Key.CgroupId);
        counters.Resumed++;
        MarkChanged(ref state);
    }

    /// <summary>Starts a poll: every flow the source holds follows through <see cref="Observe"/>.</summary>
    public void BeginPoll() => poll++;

    /// <summary>The source's cumulative reading of one flow.</summary>
    public void Observe(in FlowSample sample)
    {
        ref FlowState state = ref flows.GetOrAdd(sample.Key, out bool exists);
        if (!exists)
        {
            // its opening record was lost or is still queued: the reading says it all
            state.Initiator = sample.Initiator;
            state.FirstSeenUnixNs = sample.FirstSeenUnixNs;
            CountNewFlow(sample.Key.CgroupId);
        }

        bool sameIncarnation = exists && sample.FirstSeenUnixNs == state.SourceFirstSeenUnixNs;
        if (exists && !sameIncarnation)
        {
            counters.Restarted++;
        }

        FlowCounters tx = sameIncarnation ? sample.Tx.Since(state.SourceTx) : sample.Tx;
        FlowCounters rx = sameIncarnation ? sample.Rx.Since(state.SourceRx) : sample.Rx;
        bool news = !sameIncarnation || tx != default || rx != default || sample.LastSeenUnixNs > state.LastSeenUnixNs
            || (state.TxTcpFlags | sample.TxTcpFlags) != state.TxTcpFlags || (state.RxTcpFlags | sample.RxTcpFlags) != state.RxTcpFlags;
        state.SourceTx = sample.Tx;
        state.SourceRx = sample.Rx;
        state.SourceFirstSeenUnixNs = sample.FirstSeenUnixNs;
        state.SeenInPoll = poll;
        state.MissingFromSource = false;
        state.TxTcpFlags |= sample.TxTcpFlags;
        state.RxTcpFlags |= sample.RxTcpFlags;
        AddTraffic(ref state, tx, rx, sample.LastSeenUnixNs);
        if (news)
        {
            MarkChanged(ref state);
        }
    }

    /// <summary>
    /// Ends a poll: counts flows the source lost since the last one, and
    /// lists in <paramref name="idle"/> the flows idle for longer than
    /// <paramref name="idleTimeoutNs"/>, then, while the table is over its
    /// limit, the longest silent of the flows the source no longer holds. The
    /// source then takes each from its own table, folds in its last reading
    /// with <see cref="Observe"/>, and calls <see cref="Expire"/>.
    /// </summary>
    public void EndPoll(long nowUnixNs, long idleTimeoutNs, List<FlowKey> idle)
    {
        ArgumentNullException.ThrowIfNull(idle);
        int idleBefore = idle.Count;
        int missing = 0;
        foreach (ref FlowState state in flows.States)
        {
            if (nowUnixNs - state.LastSeenUnixNs > idleTimeoutNs)
            {
                idle.Add(state.Key);
            }
            else if (state.SeenInPoll < poll)
            {
                missing++;
                if (!state.MissingFromSource)
                {
                    state.MissingFromSource = true;
                    counters.Evicted++;
                }
            }
        }

        int excess = flows.Count - (idle.Count - idleBefore) - maxFlows;
        if (excess > 0 && missing > 0)
        {
            ForgetAtLimit(Math.Min(excess, missing), nowUnixNs, idleTimeoutNs, idle);
        }
    }

    /// <summary>Adds to <paramref name="idle"/> the <paramref name="count"/> longest silent flows the source no longer holds (not idle yet).</summary>
    private void ForgetAtLimit(int count, long nowUnixNs, long idleTimeoutNs, List<FlowKey> idle)
    {
        if (overLimit.Length < flows.Count)
        {
            overLimit = new (long, FlowKey)[flows.Count];
        }

        int n = 0;
        foreach (ref readonly FlowState state in flows.States)
        {
            if (state.SeenInPoll < poll && nowUnixNs - state.LastSeenUnixNs <= idleTimeoutNs)
            {
                overLimit[n++] = (state.LastSeenUnixNs, state.Key);
            }
        }

        // only when over the limit; a full sort of the candidates, as the table's own pass is O(n) anyway
        Span<(long LastSeenUnixNs, FlowKey Key)> candidates = overLimit.AsSpan(0, n);
        candidates.Sort(static (a, b) => a.LastSeenUnixNs.CompareTo(b.LastSeenUnixNs));
        foreach ((long _, FlowKey key) in candidates[..count])
        {
            idle.Add(key);
        }

        counters.ForgottenAtLimit += (ulong)count;
    }

    /// <summary>Told of each flow as it is forgotten, with its final state (the flow summaries count its last traffic).</summary>
    public FlowSummarizer? Summarizer { get; set; }

    /// <summary>Forgets a flow the sensor is done with.</summary>
    public void Expire(in FlowKey key)
    {
        if (flows.Remove(key, out FlowState last))
        {
            if (changesComplete)
            {
                removedLog.Add(key);
                LimitChanges();
            }

            counters.Expired++;
            Summarizer?.Add(ref last);
            ref CgroupTotals totals = ref CollectionsMarshal.GetValueRefOrNullRef(cgroups, key.CgroupId);
            if (!Unsafe.IsNullRef(ref totals))
            {
                totals.Tracked--;
            }
        }
    }

    /// <summary>
    /// Drops the totals of cgroups with no flow in the table that
    /// <paramref name="isGone"/> says no longer exist, listing them in
    /// <paramref name="removed"/>: per-cgroup memory follows the cgroups
    /// that exist, where containers come and go. Returns how many.
    /// </summary>
    public int PruneCgroups(Func<ulong, bool> isGone, List<ulong> removed)
    {
        ArgumentNullException.ThrowIfNull(isGone);
        ArgumentNullException.ThrowIfNull(removed);
        int before = removed.Count;
        foreach ((ulong cgroupId, CgroupTotals totals) in cgroups)
        {
            if (totals.Tracked == 0 && isGone(cgroupId))
            {
                removed.Add(cgroupId);
            }
        }

        for (int i = before; i < removed.Count; i++)
        {
            cgroups.Remove(removed[i]);
        }

        return removed.Count - before;
    }

    /// <summary>
    /// Hands the consumer (the detections) the flows changed and the flows
    /// forgotten since its last call, each changed flow once, so that it need
    /// not walk every flow on every poll. "Changed" is what a reader of
    /// <see cref="FlowState"/> sees: new, traffic, last seen, TCP flags or
    /// owner. Returns false when the log is incomplete (the first call, or a
    /// log left untaken until it held twice as many entries as the table
    /// holds flows): then the consumer must read every flow, and the log is
    /// complete from here on.
    /// </summary>
    public bool TakeChanges(List<FlowKey> changedFlows, List<FlowKey> removedFlows)
    {
        ArgumentNullException.ThrowIfNull(changedFlows);
        ArgumentNullException.ThrowIfNull(removedFlows);
        bool complete = changesComplete;
        changedFlows.AddRange(changedLog);
        removedFlows.AddRange(removedLog);
        changedLog.Clear();
        removedLog.Clear();
        changeGeneration++;
        changesComplete = true;
        return complete;
    }

    private void MarkChanged(ref FlowState state)
    {
        if (changesComplete && state.ChangeGeneration != changeGeneration)
        {
            state.ChangeGeneration = changeGeneration;
            changedLog.Add(state.Key);
            LimitChanges();
        }
    }

    /// <summary>A log nobody takes (replay without detections) stops growing: the next taker reads every flow.</summary>
    private void LimitChanges()
    {
        if (changedLog.Count + removedLog.Count > Math.Max(1024, 2 * flows.Count))
        {
            changesComplete = false;
            changedLog.Clear();
            removedLog.Clear();
        }
    }

    private void CountNewFlow(ulong cgroupId)
    {
        ref CgroupTotals totals = ref CollectionsMarshal.GetValueRefOrAddDefault(cgroups, cgroupId, out _);
        totals.Flows++;
        totals.Tracked++;
    }

    private void AddTraffic(ref FlowState state, FlowCounters tx, FlowCounters rx, long lastSeenUnixNs)
    {
        state.Tx += tx;
        state.Rx += rx;
        if (lastSeenUnixNs > state.LastSeenUnixNs)
        {
            state.LastSeenUnixNs = lastSeenUnixNs;
        }

        ref CgroupTotals totals = ref CollectionsMarshal.GetValueRefOrAddDefault(cgroups, state.Key.CgroupId, out _);
        totals.Tx += tx;
        totals.Rx += rx;
    }
}
