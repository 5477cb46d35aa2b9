using System.Diagnostics;
using System.Runtime.CompilerServices;
using OneWaySensor.Containers;
using OneWaySensor.Containers.Engine;
using static OneWaySensor.Tests.Containers.Engine.EngineSamples;

namespace OneWaySensor.Tests.Containers.Engine;

public sealed class ContainerMetadataCacheTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 22, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task Existing_containers_are_listed_and_known_once_connected()
    {
        var engine = new FakeContainerEngine();
        engine.Add(WebId, "web");
        engine.Add(SinkId, "sink");
        await using var cache = new ContainerMetadataCache(engine);
        Assert.False(cache.Connected);

        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");

        Assert.True(cache.TryGet(WebId, out ContainerMetadata? web));
        Assert.Equal("web", web.Name);
        Assert.True(cache.TryGet(SinkId, out _));
        Assert.Equal(2, cache.Count);
        Assert.Equal(1, engine.Lists);
        Assert.Equal(2, engine.Inspects);
    }

    [Fact]
    public async Task A_created_container_is_known_before_its_first_packet()
    {
        var engine = new FakeContainerEngine();
        await using var cache = new ContainerMetadataCache(engine);
        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");
        Assert.False(cache.TryGet(WebId, out _));

        engine.Add(WebId, "web"); // docker create
        engine.Publish(Event(RuntimeEventKind.ContainerCreate, WebId));
        RuntimeEvent published = await NextEventAsync(cache);

        // an event is published after the cache acted on it: no wait, no lookup
        Assert.Equal(RuntimeEventKind.ContainerCreate, published.Kind);
        Assert.True(cache.TryGet(WebId, out ContainerMetadata? metadata));
        Assert.Equal("web", metadata.Name);
        Assert.Equal([published], cache.RecentEvents(WebId));
    }

    [Fact]
    public async Task A_container_that_died_is_kept_for_the_retention_then_evicted()
    {
        var time = new ManualTimeProvider();
        var engine = new FakeContainerEngine();
        engine.Add(WebId, "web");
        var options = new ContainerMetadataCacheOptions { Retention = TimeSpan.FromMinutes(1), SweepInterval = TimeSpan.FromSeconds(10) };
        await using var cache = new ContainerMetadataCache(engine, options, time);
        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");

        engine.Publish(Event(RuntimeEventKind.ContainerDie, WebId) with { ExitCode = 137 });
        await NextEventAsync(cache);
        time.Advance(TimeSpan.FromSeconds(30));
        engine.Publish(Event(RuntimeEventKind.ContainerDestroy, WebId));
        await NextEventAsync(cache);

        // the retention runs from the die: the destroy does not restart it
        time.Advance(TimeSpan.FromSeconds(25));
        Assert.True(cache.TryGet(WebId, out _));
        Assert.Equal(2, cache.RecentEvents(WebId).Count);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(cache.TryGet(WebId, out _));
        Assert.Empty(cache.RecentEvents(WebId));
        Assert.Equal(1ul, cache.Counters.Evicted);
    }

    [Fact]
    public async Task A_container_started_again_after_dying_is_not_evicted()
    {
        var time = new ManualTimeProvider();
        var engine = new FakeContainerEngine();
        engine.Add(WebId, "web");
        var options = new ContainerMetadataCacheOptions { Retention = TimeSpan.FromMinutes(1), SweepInterval = TimeSpan.FromSeconds(10) };
        await using var cache = new ContainerMetadataCache(engine, options, time);
        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");

        engine.Publish(Event(RuntimeEventKind.ContainerDie, WebId));
        await NextEventAsync(cache);
        engine.Publish(Event(RuntimeEventKind.ContainerStart, WebId)); // restart policy
        await NextEventAsync(cache);
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.True(cache.TryGet(WebId, out _));
        Assert.Equal(0ul, cache.Counters.Evicted);
    }

    [Fact]
    public async Task An_unavailable_engine_is_retried_with_doubling_waits_that_reset_after_a_good_connection()
    {
        var time = new ManualTimeProvider();
        var engine = new FakeContainerEngine { FailSubscriptionsUpTo = 3 };
        var options = new ContainerMetadataCacheOptions { MinimumBackoff = TimeSpan.FromMilliseconds(500), MaximumBackoff = TimeSpan.FromSeconds(1.5) };
        await using var cache = new ContainerMetadataCache(engine, options, time);
        cache.Start();

        // 0.5 s, then 1 s, then 1.5 s (the cap) between the three failed attempts
        foreach (double seconds in (double[])[0.5, 1, 1.5])
        {
            TimeSpan wait = TimeSpan.FromSeconds(seconds);
            await Eventually(() => time.PendingOneShots().Contains(wait), $"a reconnect is scheduled in {wait}");
            Assert.False(cache.Connected);
            time.Advance(wait);
        }

        await Eventually(() => cache.Connected, "the cache is connected");
        Assert.Equal(4, engine.Subscriptions);
        Assert.Equal(3ul, cache.Counters.Reconnects);

        // the stream delivered an event, so after it ends the next wait is the minimum again
        engine.Publish(Event(RuntimeEventKind.ExecStart, WebId));
        await NextEventAsync(cache);
        engine.EndStream();
        await Eventually(() => time.PendingOneShots().Contains(TimeSpan.FromMilliseconds(500)), "a reconnect is scheduled in 0.5 s");
        Assert.False(cache.Connected);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await Eventually(() => cache.Connected, "the cache is connected again");
        Assert.Equal(5, engine.Subscriptions);
        Assert.Equal(4ul, cache.Counters.Reconnects);
    }

    [Fact]
    public async Task After_a_broken_stream_it_reconnects_and_backfills_what_changed_by_listing()
    {
        var engine = new FakeContainerEngine();
        engine.Add(WebId, "web");
        var options = new ContainerMetadataCacheOptions { MinimumBackoff = TimeSpan.FromMilliseconds(20), MaximumBackoff = TimeSpan.FromMilliseconds(80) };
        await using var cache = new ContainerMetadataCache(engine, options);
        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");

        // while the stream is down, web is removed and sink created: no event will tell
        engine.Containers.TryRemove(WebId, out _);
        engine.Add(SinkId, "sink");
        engine.BreakStream();
        await Eventually(() => engine.Subscriptions == 2 && cache.Connected, "the cache is connected again");

        Assert.True(cache.TryGet(SinkId, out _));
        Assert.True(cache.TryGet(WebId, out _)); // gone, but kept for its retention
        Assert.Equal(2, engine.Lists);
        Assert.Equal(1ul, cache.Counters.Reconnects);
    }

    [Fact]
    public async Task Lookup_requests_are_merged_and_a_full_queue_drops_and_counts()
    {
        var engine = new FakeContainerEngine();
        var options = new ContainerMetadataCacheOptions { LookupQueueCapacity = 2, InspectParallelism = 1 };
        await using var cache = new ContainerMetadataCache(engine, options);
        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");
        foreach (string id in (string[])[WebId, SinkId, "ccc", "ddd"])
        {
            engine.Add(id, id);
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.InspectGate = gate;
        cache.RequestLookup(WebId);
        cache.RequestLookup(WebId);
        cache.RequestLookup(WebId);
        await Eventually(() => engine.Inspects == 1, "the first lookup is in flight");
        cache.RequestLookup(SinkId);
        cache.RequestLookup(SinkId);
        cache.RequestLookup("ccc");
        cache.RequestLookup("ddd"); // the queue holds two
        cache.RequestLookup("../../info"); // not an id: ignored

        Assert.Equal(3ul, cache.Counters.LookupsDeduplicated);
        Assert.Equal(1ul, cache.Counters.LookupsDropped);

        gate.SetResult();
        await Eventually(() => cache.Count == 3, "three containers are known");
        Assert.Equal([WebId, SinkId, "ccc"], engine.Inspected);
        Assert.False(cache.TryGet("ddd", out _));

        cache.RequestLookup(WebId); // known: nothing to do
        Assert.Equal(3ul, cache.Counters.LookupsDeduplicated);
    }

    [Fact]
    public async Task An_id_the_engine_does_not_know_is_not_asked_again_at_once()
    {
        var engine = new FakeContainerEngine();
        await using var cache = new ContainerMetadataCache(engine, new ContainerMetadataCacheOptions { InspectParallelism = 1 });
        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");

        cache.RequestLookup("nope");
        await Eventually(() => cache.Counters.NotFound == 1, "the engine said it does not know it");
        cache.RequestLookup("nope");
        engine.Add(WebId, "web");
        cache.RequestLookup(WebId);
        await Eventually(() => cache.Count == 1, "web is known");

        // one lookup at a time, in order: a second "nope" would have come before web
        Assert.Equal(["nope", WebId], engine.Inspected);
    }

    [Fact]
    public async Task A_hit_does_not_allocate()
    {
        var engine = new FakeContainerEngine();
        engine.Add(WebId, "web");
        await using var cache = new ContainerMetadataCache(engine);
        cache.Start();
        await Eventually(() => cache.TryGet(WebId, out _), "web is known");

        AllocatedByHits(cache, 10_000); // let tiered compilation settle first: its transitions are not the cache's
        long allocated = AllocatedByHits(cache, 10_000);

        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task The_alert_path_waits_briefly_for_a_miss_and_no_longer()
    {
        var engine = new FakeContainerEngine();
        engine.Add(WebId, "web");
        await using var cache = new ContainerMetadataCache(engine); // not started: fetches need no loop

        ContainerMetadata? fetched = await cache.GetOrFetchAsync(WebId, TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Bound);
        ContainerMetadata? cached = await cache.GetOrFetchAsync(WebId, TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Bound);
        Assert.Equal("web", fetched?.Name);
        Assert.Same(fetched, cached);
        Assert.Equal(1, engine.Inspects);

        Assert.Null(await cache.GetOrFetchAsync("nope", TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(1ul, cache.Counters.NotFound);

        engine.InspectGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // never answers
        var waited = Stopwatch.StartNew();
        Assert.Null(await cache.GetOrFetchAsync(SinkId, TimeSpan.FromMilliseconds(100), CancellationToken.None).WaitAsync(Bound));
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(5), $"waited {waited.Elapsed}");
        Assert.Equal(1ul, cache.Counters.LookupsFailed);
    }

    [Fact]
    public async Task Each_container_keeps_its_last_events_in_order()
    {
        var engine = new FakeContainerEngine();
        engine.Add(WebId, "web");
        await using var cache = new ContainerMetadataCache(engine, new ContainerMetadataCacheOptions { RecentEventsPerContainer = 4 });
        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");

        for (int i = 0; i < 6; i++)
        {
            engine.Publish(Event(RuntimeEventKind.ExecStart, WebId) with { Command = $"sh -c step{i}" });
            await NextEventAsync(cache);
        }

        Assert.Equal(["sh -c step2", "sh -c step3", "sh -c step4", "sh -c step5"], cache.RecentEvents(WebId).Select(e => e.Command));
        Assert.Empty(cache.RecentEvents(SinkId));
    }

    [Fact]
    public async Task Events_the_subscriber_has_no_room_for_are_dropped_and_counted()
    {
        var engine = new FakeContainerEngine();
        engine.Add(WebId, "web");
        await using var cache = new ContainerMetadataCache(engine, new ContainerMetadataCacheOptions { EventChannelCapacity = 2 });
        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");

        for (int i = 0; i < 5; i++)
        {
            engine.Publish(Event(RuntimeEventKind.ExecStart, WebId) with { Command = $"step{i}" });
        }

        await Eventually(() => cache.Counters.EventsReceived == 5, "five events are received");
        Assert.Equal(3ul, cache.Counters.EventsDropped);
        Assert.Equal("step0", (await NextEventAsync(cache)).Command);
        Assert.Equal("step1", (await NextEventAsync(cache)).Command);
        Assert.Equal(5, cache.RecentEvents(WebId).Count); // the cache itself missed none
    }

    [Fact]
    public async Task Disposing_stops_the_loops_and_completes_the_event_reader()
    {
        var engine = new FakeContainerEngine();
        var cache = new ContainerMetadataCache(engine);
        cache.Start();
        await Eventually(() => cache.Connected, "the cache is connected");

        await cache.DisposeAsync().AsTask().WaitAsync(Bound);

        await cache.RuntimeEvents.Completion.WaitAsync(Bound);
        Assert.False(cache.Connected);
        Assert.Throws<ObjectDisposedException>(cache.Start);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long AllocatedByHits(ContainerMetadataCache cache, int count)
    {
        int hits = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++)
        {
            hits += cache.TryGet(WebId, out _) ? 1 : 0;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(count, hits);
        return allocated;
    }

    private static RuntimeEvent Event(RuntimeEventKind kind, string id) => new(Now, kind, id);

    private static async Task<RuntimeEvent> NextEventAsync(ContainerMetadataCache cache) =>
        await cache.RuntimeEvents.ReadAsync().AsTask().WaitAsync(Bound);

    /// <summary>Polls a condition the background loops will make true, failing after a bound.</summary>
    private static async Task Eventually(Func<bool> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < Bound, $"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }
}
