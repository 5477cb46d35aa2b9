using OneWaySensor.Flows;

namespace OneWaySensor.Tests.Core;

/// <summary>Flow summaries count every packet exactly once: across intervals, across flows of one endpoint, and for flows expired between summaries.</summary>
public sealed class FlowSummarizerTests
{
    private const long Second = 1_000_000_000;

    [Fact]
    public void Each_interval_reports_only_its_own_traffic_per_cgroup_and_remote_endpoint()
    {
        var table = new FlowTable();
        var summarizer = new FlowSummarizer(0);
        table.Summarizer = summarizer;

        table.BeginPoll();
        table.Observe(Sample(cgroup: 1, localPort: 1000, remotePort: 443, txPackets: 10, rxPackets: 0, lastSeen: 1 * Second));
        table.Observe(Sample(cgroup: 1, localPort: 1001, remotePort: 443, txPackets: 5, rxPackets: 2, lastSeen: 1 * Second));
        table.Observe(Sample(cgroup: 2, localPort: 1000, remotePort: 53, txPackets: 1, rxPackets: 1, lastSeen: 1 * Second));
        List<FlowSummary> first = summarizer.Summarize(table, 2 * Second);

        FlowSummary https = first.Single(summary => summary.CgroupId == 1);
        Assert.Equal(2, https.Flows);
        Assert.Equal(15ul, https.Tx.Packets);
        Assert.Equal(2ul, https.Rx.Packets);
        Assert.Equal(1500ul, https.Tx.IpBytes);
        Assert.Equal(0, https.IntervalStartUnixNs);
        Assert.Equal(2 * Second, https.IntervalEndUnixNs);
        Assert.Equal(1ul, first.Single(summary => summary.CgroupId == 2).Tx.Packets);

        // one flow goes on; the others are quiet and are not reported
        table.BeginPoll();
        table.Observe(Sample(cgroup: 1, localPort: 1000, remotePort: 443, txPackets: 14, rxPackets: 0, lastSeen: 3 * Second));
        List<FlowSummary> second = summarizer.Summarize(table, 4 * Second);
        FlowSummary only = Assert.Single(second);
        Assert.Equal(4ul, only.Tx.Packets);
        Assert.Equal(1, only.Flows);
        Assert.Equal(2 * Second, only.IntervalStartUnixNs);
    }

    [Fact]
    public void A_flow_expired_between_summaries_hands_over_its_last_traffic()
    {
        var table = new FlowTable();
        var summarizer = new FlowSummarizer(0);
        table.Summarizer = summarizer;
        FlowSample sample = Sample(cgroup: 7, localPort: 2000, remotePort: 8080, txPackets: 3, rxPackets: 0, lastSeen: Second);
        table.BeginPoll();
        table.Observe(sample);
        Assert.Equal(3ul, Assert.Single(summarizer.Summarize(table, 2 * Second)).Tx.Packets);

        table.BeginPoll();
        table.Observe(sample with { Tx = new FlowCounters(9, 900, 0), LastSeenUnixNs = 3 * Second });
        table.Expire(sample.Key);
        Assert.Equal(0, table.Count);

        FlowSummary last = Assert.Single(summarizer.Summarize(table, 5 * Second));
        Assert.Equal(6ul, last.Tx.Packets);
        Assert.Empty(summarizer.Summarize(table, 6 * Second));
    }

    private static FlowSample Sample(ulong cgroup, ushort localPort, ushort remotePort, ulong txPackets, ulong rxPackets, long lastSeen) => new()
    {
        Key = new FlowKey(cgroup, 4, FlowProtocol.Tcp, 0x0100007f, localPort, 0x0100007f, remotePort),
        Tx = new FlowCounters(txPackets, txPackets * 100, txPackets * 60),
        Rx = new FlowCounters(rxPackets, rxPackets * 100, 0),
        FirstSeenUnixNs = 1,
        LastSeenUnixNs = lastSeen,
        Initiator = FlowInitiator.Local,
    };
}
