using System.Net;
using OneWaySensor.Flows;
using OneWaySensor.Processes;
using static OneWaySensor.Tests.Core.Detection.DetectionHarness;

namespace OneWaySensor.Tests.Core.Detection;

/// <summary>
/// The engine keeps each destination's flows from the table's change log
/// instead of regrouping every flow on every poll: whatever the table went
/// through, what the engine holds must be exactly what the table holds.
/// </summary>
public sealed class IncrementalGroupingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_engines_flows_are_the_tables_through_any_history(int seed)
    {
        var random = new Random(seed);
        var harness = new DetectionHarness();
        var source = new Dictionary<FlowKey, FlowSample>();
        var idle = new List<FlowKey>();
        long now = Start;
        for (int poll = 0; poll < 120; poll++)
        {
            now += Second;
            harness.Table.BeginPoll();

            // new flows, some on keys used before; a few announced by an opening record with their owner
            for (int n = random.Next(0, poll % 25 == 24 ? 700 : 12); n > 0; n--)
            {
                FlowKey key = RandomKey(random);
                if (source.ContainsKey(key))
                {
                    continue;
                }

                source[key] = new FlowSample(key, new FlowCounters(1, 100, 40), default, 0x02, 0, FlowInitiator.Local, now, now);
                if (random.Next(4) == 0)
                {
                    harness.Table.Open(new FlowOpening(key, FlowInitiator.Local, true, new FlowCounters(1, 100, 40), 0x02, now, new ProcessRef { Tgid = (uint)random.Next(1, 99), Pid = 1 }));
                }
            }

            // traffic on some, flags alone on others, the rest unchanged; every flow read, as a source reads its map
            foreach (FlowKey key in source.Keys.ToList())
            {
                FlowSample sample = source[key];
                switch (random.Next(6))
                {
                    case 0:
                        sample = sample with { Tx = sample.Tx + new FlowCounters(1, 90, 30), LastSeenUnixNs = now };
                        break;
                    case 1:
                        sample = sample with { Rx = sample.Rx + new FlowCounters(1, 90, 30), RxTcpFlags = 0x12, LastSeenUnixNs = now };
                        break;
                    case 2:
                        sample = sample with { TxTcpFlags = (byte)(sample.TxTcpFlags | 0x01) };
                        break;
                }

                source[key] = sample;
                harness.Table.Observe(sample);
            }

            // the source drops some flows (they go missing), and the table forgets idle ones and a few at random
            foreach (FlowKey key in source.Keys.Where(_ => random.Next(20) == 0).ToList())
            {
                source.Remove(key);
            }

            idle.Clear();
            harness.Table.EndPoll(now, 8 * Second, idle);
            foreach (FlowKey key in idle.Concat(source.Keys.Where(_ => random.Next(50) == 0)).Distinct().ToList())
            {
                source.Remove(key);
                harness.Table.Expire(key);
            }

            // some polls go without detections: the log must carry them, or say it could not
            if (random.Next(5) != 0)
            {
                harness.Engine.Evaluate(harness.Table, now);
                AssertSameFlows(harness);
            }
        }
    }

    [Fact]
    public void After_more_churn_than_the_log_keeps_the_engine_regroups_to_the_table()
    {
        var harness = new DetectionHarness();
        var random = new Random(7);
        long now = Start;
        List<FlowKey> keys = [];
        void Churn()
        {
            now += Second;
            harness.Table.BeginPoll();
            foreach (FlowKey key in keys)
            {
                harness.Table.Expire(key);
            }

            keys = Enumerable.Range(0, 300).Select(_ => RandomKey(random)).Distinct().ToList();
            foreach (FlowKey key in keys)
            {
                harness.Table.Observe(new FlowSample(key, new FlowCounters(1, 100, 40), default, 0x02, 0, FlowInitiator.Local, now, now));
            }

            harness.Table.EndPoll(now, 3600 * Second, []);
        }

        Churn();
        harness.Engine.Evaluate(harness.Table, now);
        AssertSameFlows(harness);

        // four polls of every flow replaced, no detections: past what the log keeps for 300 flows
        for (int i = 0; i < 4; i++)
        {
            Churn();
        }

        harness.Engine.Evaluate(harness.Table, now);
        AssertSameFlows(harness);
    }

    private static FlowKey RandomKey(Random random) => new(
        (ulong)random.Next(1, 6), 4, FlowProtocol.Tcp, FlowAddress.FromIPAddress(IPAddress.Parse("10.1.0.2")), (ushort)random.Next(40000, 40400),
        FlowAddress.FromIPAddress(new IPAddress([198, 51, 100, (byte)random.Next(1, 12)])), 443);

    private static void AssertSameFlows(DetectionHarness harness)
    {
        var expected = harness.Table.Flows
            .GroupBy(flow => flow.Key.CgroupId)
            .ToDictionary(group => group.Key, group => group.ToDictionary(flow => flow.Key));
        for (ulong cgroup = 1; cgroup < 6; cgroup++)
        {
            var held = harness.Engine.Investigate(cgroup).Destinations.SelectMany(destination => destination.Flows).ToList();
            Dictionary<FlowKey, FlowState> table = expected.GetValueOrDefault(cgroup, []);
            Assert.Equal(table.Count, held.Count);
            foreach (FlowState flow in held)
            {
                Assert.True(table.TryGetValue(flow.Key, out FlowState truth), $"the engine holds {flow.Key}, which the table does not");
                Assert.Equal((truth.Tx, truth.Rx, truth.LastSeenUnixNs, truth.FirstSeenUnixNs, truth.TxTcpFlags, truth.RxTcpFlags, truth.Owner.Tgid),
                    (flow.Tx, flow.Rx, flow.LastSeenUnixNs, flow.FirstSeenUnixNs, flow.TxTcpFlags, flow.RxTcpFlags, flow.Owner.Tgid));
            }
        }
    }
}
