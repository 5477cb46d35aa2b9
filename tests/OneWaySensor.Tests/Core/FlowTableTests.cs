using System.Net;
using OneWaySensor.Flows;

namespace OneWaySensor.Tests.Core;

public sealed class FlowTableTests
{
    private const long Second = UnixTime.NanosecondsPerSecond;

    internal static FlowKey Key(ulong cgroup = 7, ushort localPort = 40000, ushort remotePort = 53, FlowProtocol protocol = FlowProtocol.Udp) => new(
        cgroup, 4, protocol, FlowAddress.FromIPAddress(IPAddress.Loopback), localPort, FlowAddress.FromIPAddress(IPAddress.Parse("127.0.0.9")), remotePort);

    internal static FlowSample Sample(FlowKey key, FlowCounters tx, FlowCounters rx, long firstSeen, long lastSeen) =>
        new(key, tx, rx, 0, 0, FlowInitiator.Local, firstSeen, lastSeen);

    [Fact]
    public void Opening_counts_the_first_packet_in_its_direction()
    {
        var table = new FlowTable();
        table.Open(new FlowOpening(Key(), FlowInitiator.Local, FirstPacketOutbound: true, new FlowCounters(1, 128, 100), 0, 10 * Second));

        Assert.True(table.TryGet(Key(), out FlowState flow));
        Assert.Equal(new FlowCounters(1, 128, 100), flow.Tx);
        Assert.Equal(default, flow.Rx);
        Assert.Equal(10 * Second, flow.FirstSeenUnixNs);
        Assert.Equal(1ul, table.Cgroups[7].Flows);
    }

    [Fact]
    public void Readings_after_an_opening_add_only_what_is_new()
    {
        var table = new FlowTable();
        table.Open(new FlowOpening(Key(), FlowInitiator.Local, true, new FlowCounters(1, 128, 100), 0, 10 * Second));
        table.BeginPoll();
        table.Observe(Sample(Key(), new FlowCounters(3, 384, 300), new FlowCounters(1, 60, 32), 10 * Second, 11 * Second));
        table.BeginPoll();
        table.Observe(Sample(Key(), new FlowCounters(5, 640, 500), new FlowCounters(1, 60, 32), 10 * Second, 12 * Second));

        Assert.True(table.TryGet(Key(), out FlowState flow));
        Assert.Equal(new FlowCounters(5, 640, 500), flow.Tx);
        Assert.Equal(new FlowCounters(1, 60, 32), flow.Rx);
        Assert.Equal(12 * Second, flow.LastSeenUnixNs);
        Assert.Equal(new FlowCounters(5, 640, 500), table.Cgroups[7].Tx);
        Assert.Equal(new FlowCounters(1, 60, 32), table.Cgroups[7].Rx);
    }

    [Fact]
    public void A_resumed_flow_keeps_its_history_but_only_new_traffic_is_summarized_or_added_to_its_cgroup()
    {
        var table = new FlowTable { Summarizer = new FlowSummarizer(0) };
        table.Resume(Sample(Key(), new FlowCounters(10, 1280, 1000), default, 5 * Second, 9 * Second));

        Assert.True(table.TryGet(Key(), out FlowState resumed));
        Assert.Equal(new FlowCounters(10, 1280, 1000), resumed.Tx);
        Assert.Equal(5 * Second, resumed.FirstSeenUnixNs);
        Assert.Equal(1ul, table.Counters.Resumed);
        Assert.Equal(1ul, table.Cgroups[7].Flows);
        Assert.Equal(default, table.Cgroups[7].Tx);

        table.BeginPoll();
        table.Observe(Sample(Key(), new FlowCounters(15, 1920, 1500), default, 5 * Second, 12 * Second));

        Assert.True(table.TryGet(Key(), out FlowState carried));
        Assert.Equal(new FlowCounters(15, 1920, 1500), carried.Tx);
        Assert.Equal(0ul, table.Counters.Restarted);
        Assert.Equal(new FlowCounters(5, 640, 500), table.Cgroups[7].Tx);
        FlowSummary summary = Assert.Single(table.Summarizer.Summarize(table, 13 * Second));
        Assert.Equal(new FlowCounters(5, 640, 500), summary.Tx);
    }

    [Fact]
    public void A_flow_is_resumed_only_before_the_table_knows_it()
    {
        var table = new FlowTable();
        table.Open(new FlowOpening(Key(), FlowInitiator.Local, true, new FlowCounters(1, 128, 100), 0, 10 * Second));

        Assert.Throws<InvalidOperationException>(() => table.Resume(Sample(Key(), new FlowCounters(2, 256, 200), default, 10 * Second, 11 * Second)));
    }

    [Fact]
    public void A_late_opening_record_of_a_flow_already_read_is_not_counted_twice()
    {
        var table = new FlowTable();
        table.BeginPoll();
        table.Observe(Sample(Key(), new FlowCounters(2, 256, 200), default, 10 * Second, 10 * Second));
        table.Open(new FlowOpening(Key(), FlowInitiator.Local, true, new FlowCounters(1, 128, 100), 0, 10 * Second));

        Assert.True(table.TryGet(Key(), out FlowState flow));
        Assert.Equal(new FlowCounters(2, 256, 200), flow.Tx);
        Assert.Equal(0ul, table.Counters.Restarted);
    }

    [Fact]
    public void A_flow_the_source_restarted_keeps_its_earlier_totals()
    {
        var table = new FlowTable();
        table.BeginPoll();
        table.Observe(Sample(Key(), new FlowCounters(9, 900, 800), default, 10 * Second, 11 * Second));

        // the kernel evicted it and a new entry began with fresh counters
        table.BeginPoll();
        table.Observe(Sample(Key(), new FlowCounters(2, 200, 150), default, 20 * Second, 21 * Second));

        Assert.True(table.TryGet(Key(), out FlowState flow));
        Assert.Equal(new FlowCounters(11, 1100, 950), flow.Tx);
        Assert.Equal(10 * Second, flow.FirstSeenUnixNs);
        Assert.Equal(1ul, table.Counters.Restarted);
    }

    [Fact]
    public void A_flow_missing_from_a_reading_is_counted_as_evicted_once()
    {
        var table = new FlowTable();
        var expired = new List<FlowKey>();
        table.BeginPoll();
        table.Observe(Sample(Key(), new FlowCounters(1, 100, 72), default, 10 * Second, 10 * Second));
        table.EndPoll(11 * Second, 120 * Second, expired);
        table.BeginPoll();
        table.EndPoll(12 * Second, 120 * Second, expired);
        table.BeginPoll();
        table.EndPoll(13 * Second, 120 * Second, expired);

        Assert.Equal(1ul, table.Counters.Evicted);
        Assert.Empty(expired);
        Assert.True(table.TryGet(Key(), out _), "an evicted flow's counts are kept");
    }

    [Fact]
    public void Idle_flows_are_listed_for_the_source_and_expire_when_it_is_done()
    {
        var table = new FlowTable();
        var expired = new List<FlowKey>();
        table.BeginPoll();
        table.Observe(Sample(Key(localPort: 1), new FlowCounters(1, 100, 72), default, 10 * Second, 10 * Second));
        table.Observe(Sample(Key(localPort: 2), new FlowCounters(1, 100, 72), default, 10 * Second, 100 * Second));
        table.EndPoll(131 * Second, 120 * Second, expired);
        Assert.Equal([Key(localPort: 1)], expired);
        Assert.True(table.TryGet(Key(localPort: 1), out _), "listed, not yet removed: the source folds in its last reading first");
        table.Expire(Key(localPort: 1));

        Assert.False(table.TryGet(Key(localPort: 1), out _));
        Assert.True(table.TryGet(Key(localPort: 2), out _));
        Assert.Equal(1ul, table.Counters.Expired);
        Assert.Equal(1ul, table.Counters.Active);
    }

    [Fact]
    public void Cgroup_totals_sum_their_flows()
    {
        var table = new FlowTable();
        table.BeginPoll();
        table.Observe(Sample(Key(cgroup: 1, localPort: 1), new FlowCounters(1, 10, 2), new FlowCounters(2, 20, 4), 1, 1));
        table.Observe(Sample(Key(cgroup: 1, localPort: 2), new FlowCounters(3, 30, 6), default, 1, 1));
        table.Observe(Sample(Key(cgroup: 2, localPort: 1), new FlowCounters(5, 50, 10), default, 1, 1));

        Assert.Equal(new FlowCounters(4, 40, 8), table.Cgroups[1].Tx);
        Assert.Equal(new FlowCounters(2, 20, 4), table.Cgroups[1].Rx);
        Assert.Equal(2ul, table.Cgroups[1].Flows);
        Assert.Equal(new FlowCounters(5, 50, 10), table.Cgroups[2].Tx);
    }

    [Fact]
    public void Past_its_limit_the_table_forgets_the_longest_silent_flows_the_source_no_longer_holds()
    {
        var table = new FlowTable(maxFlows: 3);
        var forgotten = new List<FlowKey>();
        table.BeginPoll();
        for (ushort port = 1; port <= 3; port++)
        {
            table.Observe(Sample(Key(localPort: port), new FlowCounters(1, 100, 72), default, 10 * Second, (10 + port) * Second));
        }

        table.EndPoll(20 * Second, 120 * Second, forgotten);
        Assert.Empty(forgotten);

        // the source (an LRU map of 2) evicted ports 1..3 and now holds two new flows, the newest of all
        table.BeginPoll();
        table.Observe(Sample(Key(localPort: 4), new FlowCounters(1, 100, 72), default, 20 * Second, 20 * Second));
        table.Observe(Sample(Key(localPort: 5), new FlowCounters(1, 100, 72), default, 20 * Second, 21 * Second));
        table.EndPoll(21 * Second, 120 * Second, forgotten);

        Assert.Equal([Key(localPort: 1), Key(localPort: 2)], forgotten);
        Assert.Equal(2ul, table.Counters.ForgottenAtLimit);
        foreach (FlowKey key in forgotten)
        {
            table.Expire(key);
        }

        Assert.Equal(3, table.Count);
        Assert.True(table.TryGet(Key(localPort: 3), out _), "the most recent evicted flow is kept while there is room");
    }

    [Fact]
    public void Flows_the_source_still_holds_are_never_forgotten_for_the_limit()
    {
        var table = new FlowTable(maxFlows: 1);
        var forgotten = new List<FlowKey>();
        table.BeginPoll();
        table.Observe(Sample(Key(localPort: 1), new FlowCounters(1, 100, 72), default, 10 * Second, 10 * Second));
        table.Observe(Sample(Key(localPort: 2), new FlowCounters(1, 100, 72), default, 10 * Second, 11 * Second));
        table.EndPoll(12 * Second, 120 * Second, forgotten);

        Assert.Empty(forgotten);
        Assert.Equal(0ul, table.Counters.ForgottenAtLimit);
    }

    [Fact]
    public void Idle_flows_count_towards_getting_under_the_limit()
    {
        var table = new FlowTable(maxFlows: 1);
        var listed = new List<FlowKey>();
        table.BeginPoll();
        table.Observe(Sample(Key(localPort: 1), new FlowCounters(1, 100, 72), default, 10 * Second, 10 * Second));
        table.Observe(Sample(Key(localPort: 2), new FlowCounters(1, 100, 72), default, 10 * Second, 200 * Second));
        table.BeginPoll();
        table.EndPoll(201 * Second, 120 * Second, listed);

        Assert.Equal([Key(localPort: 1)], listed);
        Assert.Equal(0ul, table.Counters.ForgottenAtLimit);
    }

    [Fact]
    public void Only_cgroups_that_are_gone_and_have_no_flow_left_are_pruned()
    {
        var table = new FlowTable();
        table.BeginPoll();
        table.Observe(Sample(Key(cgroup: 1), new FlowCounters(1, 10, 2), default, 1, 1));
        table.Observe(Sample(Key(cgroup: 2), new FlowCounters(1, 10, 2), default, 1, 1));
        table.Observe(Sample(Key(cgroup: 3), new FlowCounters(1, 10, 2), default, 1, 1));
        table.Expire(Key(cgroup: 1));
        table.Expire(Key(cgroup: 2));
        var removed = new List<ulong>();

        // 1: gone, no flow; 2: no flow but still there; 3: gone but a flow is still tracked
        int pruned = table.PruneCgroups(cgroup => cgroup != 2, removed);

        Assert.Equal(1, pruned);
        Assert.Equal([1ul], removed);
        Assert.False(table.Cgroups.ContainsKey(1));
        Assert.Equal(0ul, table.Cgroups[2].Tracked);
        Assert.Equal(1ul, table.Cgroups[3].Tracked);
    }
}
