using System.Runtime.InteropServices;

namespace OneWaySensor.Flows;

/// <summary>
/// The one flow model every source feeds. A source reports openings as they
/// happen and, on each poll, its cumulative reading of every flow it holds;
/// the table turns readings into totals, keeps per-cgroup totals, notices
/// flows the source lost, and expires idle ones. Single-threaded: the source's
/// loop is its only caller.
/// </summary>
public sealed class FlowTable
{
    private readonly Dictionary<FlowKey, FlowState> flows;
    private readonly Dictionary<ulong, CgroupTotals> cgroups = [];
    private long poll;
    private FlowTableCounters counters;

    public FlowTable(int expectedFlows = 1024)
    {
        flows = new Dictionary<FlowKey, FlowState>(expectedFlows);
    }

    public int Count => flows.Count;

    public FlowTableCounters Counters => counters with { Active = (ulong)flows.Count };

    public IReadOnlyDictionary<ulong, CgroupTotals> Cgroups => cgroups;

    /// <summary>A copy of one flow's state, if the table has it.</summary>
    public bool TryGet(in FlowKey key, out FlowState state) => flows.TryGetValue(key, out state);

    /// <summary>Direct access to a flow's state for a rule to mark; null ref when absent.</summary>
    public ref FlowState GetRef(in FlowKey key) => ref CollectionsMarshal.GetValueRefOrNullRef(flows, key);

    /// <summary>Enumerates the flows by value; do not change the table meanwhile.</summary>
    public Dictionary<FlowKey, FlowState>.ValueCollection Flows => flows.Values;

    /// <summary>A flow's first packet, as soon as the source saw it.</summary>
    public void Open(in FlowOpening opening)
    {
        ref FlowState state = ref CollectionsMarshal.GetValueRefOrAddDefault(flows, opening.Key, out bool exists);
        FlowCounters tx = opening.FirstPacketOutbound ? opening.FirstPacket : default;
        FlowCounters rx = opening.FirstPacketOutbound ? default : opening.FirstPacket;
        if (!exists)
        {
            state.Key = opening.Key;
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
        AddTraffic(ref state, opening.Key.CgroupId, tx, rx, opening.TimeUnixNs);
        if (opening.FirstPacketOutbound)
        {
            state.TxTcpFlags |= opening.TcpFlags;
        }
        else
        {
            state.RxTcpFlags |= opening.TcpFlags;
        }
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
        ref FlowState state = ref CollectionsMarshal.GetValueRefOrAddDefault(flows, sample.Key, out bool exists);
        if (exists)
        {
            throw new InvalidOperationException("a flow is resumed once, before the table counts anything of it");
        }

        state.Key = sample.Key;
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
    }

    /// <summary>Starts a poll: every flow the source holds follows through <see cref="Observe"/>.</summary>
    public void BeginPoll() => poll++;

    /// <summary>The source's cumulative reading of one flow.</summary>
    public void Observe(in FlowSample sample)
    {
        ref FlowState state = ref CollectionsMarshal.GetValueRefOrAddDefault(flows, sample.Key, out bool exists);
        if (!exists)
        {
            // its opening record was lost or is still queued: the reading says it all
            state.Key = sample.Key;
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
        state.SourceTx = sample.Tx;
        state.SourceRx = sample.Rx;
        state.SourceFirstSeenUnixNs = sample.FirstSeenUnixNs;
        state.SeenInPoll = poll;
        state.MissingFromSource = false;
        state.TxTcpFlags |= sample.TxTcpFlags;
        state.RxTcpFlags |= sample.RxTcpFlags;
        AddTraffic(ref state, sample.Key.CgroupId, tx, rx, sample.LastSeenUnixNs);
    }

    /// <summary>
    /// Ends a poll: counts flows the source lost since the last one, and
    /// lists in <paramref name="idle"/> the flows idle for longer than
    /// <paramref name="idleTimeoutNs"/>. The source then takes each from its
    /// own table, folds in its last reading with <see cref="Observe"/>, and
    /// calls <see cref="Expire"/>.
    /// </summary>
    public void EndPoll(long nowUnixNs, long idleTimeoutNs, List<FlowKey> idle)
    {
        ArgumentNullException.ThrowIfNull(idle);
        foreach (KeyValuePair<FlowKey, FlowState> pair in flows)
        {
            if (nowUnixNs - pair.Value.LastSeenUnixNs > idleTimeoutNs)
            {
                idle.Add(pair.Key);
            }
            else if (pair.Value.SeenInPoll < poll && !pair.Value.MissingFromSource)
            {
                // changing a value through a ref leaves the enumeration valid
                CollectionsMarshal.GetValueRefOrNullRef(flows, pair.Key).MissingFromSource = true;
                counters.Evicted++;
            }
        }
    }

    /// <summary>Told of each flow as it is forgotten, with its final state (the flow summaries count its last traffic).</summary>
    public FlowSummarizer? Summarizer { get; set; }

    /// <summary>Forgets a flow the sensor is done with.</summary>
    public void Expire(in FlowKey key)
    {
        if (flows.Remove(key, out FlowState last))
        {
            counters.Expired++;
            Summarizer?.Add(ref last);
        }
    }

    private void CountNewFlow(ulong cgroupId)
    {
        ref CgroupTotals totals = ref CollectionsMarshal.GetValueRefOrAddDefault(cgroups, cgroupId, out _);
        totals.Flows++;
    }

    /// <summary>The caller's key gives the cgroup: the state's copy of the key lies in the part of the entry a known flow's update does not otherwise touch.</summary>
    private void AddTraffic(ref FlowState state, ulong cgroupId, FlowCounters tx, FlowCounters rx, long lastSeenUnixNs)
    {
        state.Tx += tx;
        state.Rx += rx;
        if (lastSeenUnixNs > state.LastSeenUnixNs)
        {
            state.LastSeenUnixNs = lastSeenUnixNs;
        }

        ref CgroupTotals totals = ref CollectionsMarshal.GetValueRefOrAddDefault(cgroups, cgroupId, out _);
        totals.Tx += tx;
        totals.Rx += rx;
    }
}
