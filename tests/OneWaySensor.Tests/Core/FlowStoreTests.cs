using System.Runtime.CompilerServices;
using OneWaySensor.Flows;
using static OneWaySensor.Tests.Core.FlowTableTests;

namespace OneWaySensor.Tests.Core;

/// <summary>The flow table's storage, checked against a dictionary through random histories of additions and removals.</summary>
public sealed class FlowStoreTests
{
    [Theory]
    [InlineData(1, 16, 4)]        // full at its first size (16 flows, 32 slots): long runs, wrapping round the index's end
    [InlineData(2, 16, 40)]       // growth, and churn at each size
    [InlineData(3, 16, 3_000)]    // growth well past the first size
    [InlineData(4, 4_096, 5_000)] // churn at a steady size, so removals shift runs back
    public void Finds_every_flow_it_holds_and_none_it_does_not_through_random_additions_and_removals(int seed, int capacity, int keySpace)
    {
        var random = new Random(seed);
        var store = new FlowStore(capacity);
        var model = new Dictionary<FlowKey, long>();
        for (int step = 0; step < 40_000; step++)
        {
            FlowKey key = Key(cgroup: (ulong)random.Next(4), localPort: (ushort)random.Next(keySpace));
            if (random.Next(3) == 0)
            {
                bool removed = store.Remove(key, out FlowState last);
                Assert.Equal(model.Remove(key, out long expected), removed);
                Assert.Equal(removed ? expected : 0, last.LastSeenUnixNs);
                Assert.Equal(removed ? key : default, last.Key);
            }
            else
            {
                ref FlowState state = ref store.GetOrAdd(key, out bool exists);
                Assert.Equal(model.ContainsKey(key), exists);
                Assert.Equal(key, state.Key);
                state.LastSeenUnixNs = step + 1;
                model[key] = step + 1;
            }

            if (step % 997 == 0)
            {
                AssertSame(model, store, keySpace);
            }
        }

        AssertSame(model, store, keySpace);
    }

    [Fact]
    public void A_removal_keeps_the_states_dense_and_the_moved_flow_found()
    {
        var store = new FlowStore(16);
        for (ushort port = 1; port <= 5; port++)
        {
            store.GetOrAdd(Key(localPort: port), out _).LastSeenUnixNs = port;
        }

        Assert.True(store.Remove(Key(localPort: 2), out _));

        Assert.Equal(4, store.Count);
        Assert.Equal([1L, 5, 3, 4], store.States.ToArray().Select(state => state.LastSeenUnixNs));
        Assert.Equal(5, store.Find(Key(localPort: 5)).LastSeenUnixNs);
        Assert.True(Unsafe.IsNullRef(ref store.Find(Key(localPort: 2))));
    }

    [Fact]
    public void A_prefetch_changes_nothing()
    {
        var store = new FlowStore(16);
        store.GetOrAdd(Key(localPort: 1), out _).LastSeenUnixNs = 9;

        store.Prefetch(Key(localPort: 1));
        store.Prefetch(Key(localPort: 2));

        Assert.Equal(1, store.Count);
        Assert.Equal(9, store.Find(Key(localPort: 1)).LastSeenUnixNs);
        Assert.True(Unsafe.IsNullRef(ref store.Find(Key(localPort: 2))));
    }

    [Fact]
    public void The_tables_flows_cannot_be_enumerated_across_a_change()
    {
        var table = new FlowTable();
        table.BeginPoll();
        table.Observe(Sample(Key(localPort: 1), new FlowCounters(1, 100, 50), default, 1, 1));
        table.Observe(Sample(Key(localPort: 2), new FlowCounters(1, 100, 50), default, 1, 1));

        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (FlowState flow in table.Flows)
            {
                table.Expire(flow.Key);
            }
        });

        Assert.Contains("changed during an enumeration", error.Message, StringComparison.Ordinal);
    }

    private static void AssertSame(Dictionary<FlowKey, long> model, FlowStore store, int keySpace)
    {
        Assert.Equal(model.Count, store.Count);
        Assert.Equal(
            model.OrderBy(pair => pair.Key.CgroupId).ThenBy(pair => pair.Key.LocalPort).Select(pair => (pair.Key, pair.Value)),
            store.States.ToArray().OrderBy(state => state.Key.CgroupId).ThenBy(state => state.Key.LocalPort).Select(state => (state.Key, state.LastSeenUnixNs)));
        for (int port = 0; port < keySpace; port += 7)
        {
            FlowKey key = Key(cgroup: 1, localPort: (ushort)port);
            ref FlowState found = ref store.Find(key);
            Assert.Equal(model.TryGetValue(key, out long expected), !Unsafe.IsNullRef(ref found));
            if (!Unsafe.IsNullRef(ref found))
            {
                Assert.Equal(expected, found.LastSeenUnixNs);
            }
        }
    }
}
