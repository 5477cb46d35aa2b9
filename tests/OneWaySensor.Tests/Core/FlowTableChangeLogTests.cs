using OneWaySensor.Flows;
using OneWaySensor.Processes;
using static OneWaySensor.Tests.Core.FlowTableTests;

namespace OneWaySensor.Tests.Core;

/// <summary>The flow table's change log: what the detections read instead of every flow on every poll.</summary>
public sealed class FlowTableChangeLogTests
{
    private const long Second = UnixTime.NanosecondsPerSecond;

    private static (bool Complete, List<FlowKey> Changed, List<FlowKey> Removed) Take(FlowTable table)
    {
        List<FlowKey> changed = [];
        List<FlowKey> removed = [];
        bool complete = table.TakeChanges(changed, removed);
        return (complete, changed, removed);
    }

    [Fact]
    public void The_first_take_is_incomplete_and_the_log_runs_from_there()
    {
        var table = new FlowTable();
        table.BeginPoll();
        table.Observe(Sample(Key(localPort: 1), new FlowCounters(1, 100, 50), default, Second, Second));
        Assert.False(Take(table).Complete);

        table.BeginPoll();
        table.Observe(Sample(Key(localPort: 1), new FlowCounters(1, 100, 50), default, Second, Second)); // the same reading
        table.Observe(Sample(Key(localPort: 2), new FlowCounters(1, 100, 50), default, Second, Second)); // new
        (bool complete, List<FlowKey> changed, List<FlowKey> removed) = Take(table);

        Assert.True(complete);
        Assert.Equal([Key(localPort: 2)], changed);
        Assert.Empty(removed);
    }

    [Fact]
    public void Traffic_last_seen_flags_and_a_late_owner_are_changes_each_listed_once()
    {
        var table = new FlowTable();
        FlowKey[] keys = [Key(localPort: 1), Key(localPort: 2), Key(localPort: 3), Key(localPort: 4), Key(localPort: 5)];
        table.BeginPoll();
        foreach (FlowKey key in keys)
        {
            table.Observe(Sample(key, new FlowCounters(1, 100, 50), default, Second, Second));
        }

        Take(table);
        table.BeginPoll();
        table.Observe(Sample(keys[0], new FlowCounters(2, 200, 100), default, Second, 2 * Second)); // traffic
        table.Observe(Sample(keys[1], new FlowCounters(1, 100, 50), default, Second, 3 * Second)); // last seen alone
        table.Observe(new FlowSample(keys[2], new FlowCounters(1, 100, 50), default, 0x10, 0, FlowInitiator.Local, Second, Second)); // flags alone
        table.Observe(Sample(keys[3], new FlowCounters(1, 100, 50), default, Second, Second)); // nothing new
        table.Open(new FlowOpening(keys[4], FlowInitiator.Local, true, new FlowCounters(1, 100, 50), 0, Second, new ProcessRef { Tgid = 9, Pid = 9 }));
        table.BeginPoll();
        table.Observe(Sample(keys[0], new FlowCounters(3, 300, 150), default, Second, 4 * Second)); // again, before a take

        (bool complete, List<FlowKey> changed, _) = Take(table);
        Assert.True(complete);
        Assert.Equal([keys[0], keys[1], keys[2], keys[4]], changed);
    }

    [Fact]
    public void Forgotten_flows_are_listed_and_one_back_again_is_a_change()
    {
        var table = new FlowTable();
        table.BeginPoll();
        table.Observe(Sample(Key(localPort: 1), new FlowCounters(1, 100, 50), default, Second, Second));
        Take(table);
        table.Expire(Key(localPort: 1));
        table.BeginPoll();
        table.Observe(Sample(Key(localPort: 1), new FlowCounters(1, 100, 50), default, 5 * Second, 5 * Second));

        (bool complete, List<FlowKey> changed, List<FlowKey> removed) = Take(table);
        Assert.True(complete);
        Assert.Equal([Key(localPort: 1)], removed);
        Assert.Equal([Key(localPort: 1)], changed);
    }

    [Fact]
    public void A_log_nobody_takes_stops_growing_and_says_so()
    {
        var table = new FlowTable();
        Take(table);
        for (int round = 0; round < 3; round++)
        {
            table.BeginPoll();
            for (ushort port = 1; port <= 600; port++)
            {
                table.Observe(Sample(Key(localPort: port), new FlowCounters(1, 100, 50), default, (round + 1) * Second, (round + 1) * Second));
            }

            for (ushort port = 1; port <= 600; port++)
            {
                table.Expire(Key(localPort: port));
            }
        }

        (bool complete, List<FlowKey> changed, List<FlowKey> removed) = Take(table);
        Assert.False(complete);
        Assert.True(changed.Count + removed.Count <= 1024, $"{changed.Count} changed and {removed.Count} removed kept");
        Assert.True(Take(table).Complete);
    }
}
