using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection;

/// <summary>
/// The detections' view of the flow table: its flows grouped by destination
/// (cgroup, protocol, remote address and port), so ephemeral ports do not
/// split a pattern; each cgroup's destinations that have flows; and what is
/// remembered of each flow between polls (<see cref="FlowMemo"/>). Kept up to
/// date from the table's change log, so a flow that did not change costs
/// nothing a poll. Single-threaded, as the engine that owns it.
/// </summary>
internal sealed class DestinationGroups
{
    /// <summary>How long a silent destination's contacts are kept: beacons up to an hour apart still line up.</summary>
    private const long DestinationMemoryNs = 6 * 3600 * UnixTime.NanosecondsPerSecond;

    /// <summary>Destinations remembered at most; past it the longest silent are forgotten first.</summary>
    private const int MaxDestinations = 100_000;

    private readonly Dictionary<DestinationKey, DestinationState> destinations = [];
    private readonly Dictionary<FlowKey, FlowMemo> flowMemos = [];
    private readonly Dictionary<ulong, long> cgroupFirstSeen = [];

    // the destinations with flows, by cgroup, kept up to date as they gain and lose flows: an alert's
    // context and silent_listener look at one cgroup, and a scan of every destination per alert was quadratic
    private readonly Dictionary<ulong, List<DestinationState>> byCgroup = [];

    // the table's change log, taken each poll, and the destinations with new outbound bytes in it
    private readonly List<FlowKey> changedFlows = [];
    private readonly List<FlowKey> removedFlows = [];
    private readonly List<DestinationState> pendingBursts = [];

    // reused by Forget, so that a poll in which nothing new happens allocates nothing
    private readonly List<DestinationState> silent = [];

    /// <summary>Bumped by a full regroup: a memo placed in an older one is in no list.</summary>
    private long placement = 1;

    /// <summary>Flows in the table at the last update: per-flow memory beyond twice this is swept.</summary>
    private int tableFlows;

    /// <summary>Every destination remembered, with flows now (<see cref="DestinationState.Active"/>) or silent.</summary>
    public Dictionary<DestinationKey, DestinationState>.ValueCollection All => destinations.Values;

    public int Count => destinations.Count;

    /// <summary>
    /// Each cgroup's destinations that have flows now; cgroups without any are
    /// absent. Callers only read it; the concrete type, because enumerating
    /// it through an interface would allocate on every poll.
    /// </summary>
    public Dictionary<ulong, List<DestinationState>> ByCgroup => byCgroup;

    /// <summary>When the cgroup's first flow was seen, while it has a destination remembered.</summary>
    public long? CgroupFirstSeen(ulong cgroupId) => cgroupFirstSeen.TryGetValue(cgroupId, out long first) ? first : null;

    /// <summary>
    /// Brings each destination's flows up to date with the table and feeds
    /// the contact series (a burst is new outbound bytes after
    /// <paramref name="silenceNs"/> of none). From the table's change log
    /// (the flows changed and forgotten since the last poll), so a flow that
    /// did not change costs nothing; by regrouping every flow when the log
    /// is incomplete (the first poll, or a log that overflowed).
    /// </summary>
    public void Update(FlowTable table, long nowUnixNs, long silenceNs)
    {
        ArgumentNullException.ThrowIfNull(table);
        changedFlows.Clear();
        removedFlows.Clear();
        tableFlows = table.Count;
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

    /// <summary>
    /// Destinations silent for longer than <see cref="DestinationMemoryNs"/>
    /// (their contacts are kept that long, so a beacon slower than the flow
    /// idle timeout is still scored), the oldest past <see cref="MaxDestinations"/>,
    /// per-flow memory of flows gone, and the first sighting of cgroups
    /// with no destination left.
    /// </summary>
    public void Forget(long nowUnixNs)
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

        if (flowMemos.Count > 2 * tableFlows + 1024)
        {
            var live = destinations.Values.SelectMany(d => d.Flows).Select(flow => flow.Key).ToHashSet();
            foreach (FlowKey key in flowMemos.Keys.Where(key => !live.Contains(key)).ToList())
            {
                flowMemos.Remove(key);
            }
        }

        if (cgroupFirstSeen.Count > (2 * destinations.Count) + 1024)
        {
            HashSet<ulong> live = RememberedCgroups();
            foreach (ulong cgroup in cgroupFirstSeen.Keys.Where(cgroup => !live.Contains(cgroup)).ToList())
            {
                cgroupFirstSeen.Remove(cgroup);
            }
        }
    }

    /// <summary>The cgroups with a destination remembered (built when asked: for sweeps).</summary>
    public HashSet<ulong> RememberedCgroups() => destinations.Keys.Select(key => key.CgroupId).ToHashSet();
}
