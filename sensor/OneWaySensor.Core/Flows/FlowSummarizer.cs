using System.Runtime.InteropServices;

namespace OneWaySensor.Flows;

/// <summary>One cgroup's traffic with one remote endpoint over a summary interval.</summary>
public sealed record FlowSummary(
    ulong CgroupId,
    byte IpVersion,
    FlowProtocol Protocol,
    UInt128 RemoteAddress,
    ushort RemotePort,
    int Flows,
    FlowCounters Tx,
    FlowCounters Rx,
    long FirstSeenUnixNs,
    long LastSeenUnixNs,
    long IntervalStartUnixNs,
    long IntervalEndUnixNs);

/// <summary>
/// Periodic flow summaries per cgroup and remote endpoint, counting each
/// byte exactly once: every flow remembers what the last summary took of
/// its totals, and a flow forgotten between summaries hands over its last
/// traffic as it goes (<see cref="FlowTable.Expire"/>). Endpoints without
/// traffic in the interval are not reported. Single-threaded, like the table.
/// </summary>
public sealed class FlowSummarizer
{
    private readonly Dictionary<EndpointKey, Accumulator> pending = [];
    private long intervalStartUnixNs;

    public FlowSummarizer(long nowUnixNs) => intervalStartUnixNs = nowUnixNs;

    /// <summary>Takes what <paramref name="flow"/> sent and received since the last summary.</summary>
    public void Add(ref FlowState flow)
    {
        FlowCounters tx = flow.Tx.Since(flow.SummarizedTx);
        FlowCounters rx = flow.Rx.Since(flow.SummarizedRx);
        flow.SummarizedTx = flow.Tx;
        flow.SummarizedRx = flow.Rx;
        if (tx.Packets == 0 && rx.Packets == 0)
        {
            return;
        }

        FlowKey key = flow.Key;
        var endpoint = new EndpointKey(key.CgroupId, key.IpVersion, key.Protocol, key.RemoteAddress, key.RemotePort);
        ref Accumulator sum = ref CollectionsMarshal.GetValueRefOrAddDefault(pending, endpoint, out bool exists);
        if (!exists)
        {
            sum.FirstSeenUnixNs = flow.FirstSeenUnixNs;
        }

        sum.Flows++;
        sum.Tx += tx;
        sum.Rx += rx;
        sum.FirstSeenUnixNs = Math.Min(sum.FirstSeenUnixNs, flow.FirstSeenUnixNs);
        sum.LastSeenUnixNs = Math.Max(sum.LastSeenUnixNs, flow.LastSeenUnixNs);
    }

    /// <summary>Closes the interval: the traffic of every flow still in <paramref name="table"/>, plus what expired flows handed over.</summary>
    public List<FlowSummary> Summarize(FlowTable table, long nowUnixNs)
    {
        ArgumentNullException.ThrowIfNull(table);
        foreach (ref FlowState flow in table.States)
        {
            Add(ref flow);
        }

        var summaries = new List<FlowSummary>(pending.Count);
        foreach ((EndpointKey endpoint, Accumulator sum) in pending)
        {
            summaries.Add(new FlowSummary(
                endpoint.CgroupId, endpoint.IpVersion, endpoint.Protocol, endpoint.RemoteAddress, endpoint.RemotePort,
                sum.Flows, sum.Tx, sum.Rx, sum.FirstSeenUnixNs, sum.LastSeenUnixNs, intervalStartUnixNs, nowUnixNs));
        }

        pending.Clear();
        intervalStartUnixNs = nowUnixNs;
        return summaries;
    }

    private readonly record struct EndpointKey(ulong CgroupId, byte IpVersion, FlowProtocol Protocol, UInt128 RemoteAddress, ushort RemotePort);

    private struct Accumulator
    {
        public int Flows;
        public FlowCounters Tx;
        public FlowCounters Rx;
        public long FirstSeenUnixNs;
        public long LastSeenUnixNs;
    }
}
