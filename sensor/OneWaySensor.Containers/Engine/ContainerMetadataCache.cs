using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace OneWaySensor.Containers.Engine;

/// <summary>
/// The container directory's memory of what the engine said: metadata by
/// container id and each container's recent runtime events. Readers never
/// wait for the engine: <see cref="TryGet"/> answers from memory, a miss asks
/// for a background lookup, and only the alert path waits, briefly, through
/// <see cref="GetOrFetchAsync"/>.
/// </summary>
/// <remarks>
/// A background loop (<see cref="Start"/>) subscribes to the engine's events,
/// then lists and inspects every container, so a container is known before
/// its first packet: create and start are inspected as they arrive. A
/// container that dies or is destroyed stays known for
/// <see cref="ContainerMetadataCacheOptions.Retention"/>, because its last flows
/// are read and alerted on after it is gone. When the engine goes away (not
/// running, restarting) the loop reconnects with exponential backoff, then
/// lists and inspects again, since events were missed meanwhile.
/// </remarks>
public sealed class ContainerMetadataCache : IAsyncDisposable
{
    // ids the engine did not know, remembered for NotFoundRetry; a flood of unknown ids clears the lot
    private const int MaxNotFound = 4096;

    private readonly IContainerEngine engine;
    private readonly ContainerMetadataCacheOptions options;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, ContainerMetadata> entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> exitedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> notFoundAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RecentEventRing> recent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> pendingLookups = new(StringComparer.Ordinal);
    private readonly Channel<string> lookups;
    private readonly Channel<RuntimeEvent> runtimeEvents;
    private readonly CancellationTokenSource stopping = new();
    private ContainerCacheCounters counters;
    private ITimer? sweepTimer;
    private Task eventLoop = Task.CompletedTask;
    private Task lookupLoop = Task.CompletedTask;
    private int started;
    private int disposed;
    private int connected;
    private volatile string? lastFailure;
    private bool streamDelivered;

    public ContainerMetadataCache(IContainerEngine engine, ContainerMetadataCacheOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        this.engine = engine;
        this.options = options ?? new ContainerMetadataCacheOptions();
        this.options.Validate();
        this.time = time ?? TimeProvider.System;

        // FullMode Wait with TryWrite: a full channel refuses the write, so the drop is seen and counted
        lookups = Channel.CreateBounded<string>(new BoundedChannelOptions(this.options.LookupQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
        });
        runtimeEvents = Channel.CreateBounded<RuntimeEvent>(new BoundedChannelOptions(this.options.EventChannelCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });
    }

    /// <summary>True while the event stream is open and the containers it started from are listed.</summary>
    public bool Connected => Volatile.Read(ref connected) != 0;

    /// <summary>Why the last connection failed or ended; null while connected and before the first attempt ends.</summary>
    public string? LastFailure => lastFailure;

    /// <summary>Containers known now.</summary>
    public int Count => entries.Count;

    /// <summary>What the cache has counted so far.</summary>
    public ContainerCacheCounters Counters => counters;

    /// <summary>
    /// Every runtime event, after the cache has acted on it (a start's
    /// metadata is in the cache before the start is read here). Bounded: events
    /// the reader has no room for are dropped and counted. One reader.
    /// </summary>
    public ChannelReader<RuntimeEvent> RuntimeEvents => runtimeEvents.Reader;

    /// <summary>Starts the background loops: events and listing, lookups, eviction. Calling it again does nothing.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (Interlocked.Exchange(ref started, 1) != 0)
        {
            return;
        }

        CancellationToken token = stopping.Token;
        sweepTimer = time.CreateTimer(static state => ((ContainerMetadataCache)state!).Sweep(), this, options.SweepInterval, options.SweepInterval);
        lookupLoop = Task.Run(() => RunLookupsAsync(token), CancellationToken.None);
        eventLoop = Task.Run(() => RunEventsAsync(token), CancellationToken.None);
    }

    /// <summary>The container's metadata from the cache alone: no I/O, and no allocation on a hit.</summary>
    public bool TryGet(string id, [NotNullWhen(true)] out ContainerMetadata? metadata)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (entries.TryGetValue(id, out metadata))
        {
            Interlocked.Increment(ref counters.Hits);
            return true;
        }

        Interlocked.Increment(ref counters.Misses);
        return false;
    }

    /// <summary>
    /// Asks for a background inspect of an id that missed. Returns at once.
    /// An id already known, queued or in flight, or that the engine did not
    /// know a moment ago, is not asked again; when the queue is full the
    /// request is dropped and counted.
    /// </summary>
    public void RequestLookup(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!ContainerIds.IsPlausible(id) || entries.ContainsKey(id))
        {
            return;
        }

        if (notFoundAt.TryGetValue(id, out long at) && time.GetElapsedTime(at) < options.NotFoundRetry)
        {
            return;
        }

        if (!pendingLookups.TryAdd(id, 0))
        {
            Interlocked.Increment(ref counters.LookupsDeduplicated);
            return;
        }

        if (!lookups.Writer.TryWrite(id))
        {
            pendingLookups.TryRemove(id, out _);
            Interlocked.Increment(ref counters.LookupsDropped);
        }
    }

    /// <summary>
    /// The cache's answer, else an inspect bounded by <paramref name="timeout"/>,
    /// for the alert path, which may wait a little for a better alert. Null when
    /// the engine does not know the id, is unavailable or is too slow.
    /// </summary>
    public async Task<ContainerMetadata?> GetOrFetchAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (TryGet(id, out ContainerMetadata? metadata))
        {
            return metadata;
        }

        return ContainerIds.IsPlausible(id) && timeout > TimeSpan.Zero
            ? await FetchAsync(id, timeout, cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>The container's last runtime events, oldest first (a copy); empty when none are kept.</summary>
    /// <summary>The running container with <paramref name="address"/> on one of its networks, from memory only.</summary>
    public ContainerMetadata? FindByAddress(System.Net.IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        foreach (ContainerMetadata metadata in entries.Values)
        {
            if (!exitedAt.ContainsKey(metadata.Id) && metadata.Addresses.Contains(address))
            {
                return metadata;
            }
        }

        return null;
    }

    public IReadOnlyList<RuntimeEvent> RecentEvents(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return recent.TryGetValue(id, out RecentEventRing? ring) ? ring.Snapshot() : [];
    }

    /// <summary>Stops the loops and waits for them; completes <see cref="RuntimeEvents"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        lookups.Writer.TryComplete();
        if (sweepTimer is not null)
        {
            await sweepTimer.DisposeAsync().ConfigureAwait(false);
        }

        // the loops end on cancellation and count their own failures
        await Task.WhenAll(eventLoop, lookupLoop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        runtimeEvents.Writer.TryComplete();
        stopping.Dispose();
    }

    private async Task RunEventsAsync(CancellationToken cancellationToken)
    {
        var backoff = new ExponentialBackoff(options.MinimumBackoff, options.MaximumBackoff);
        while (!cancellationToken.IsCancellationRequested)
        {
            long connectedAt = time.GetTimestamp();
            streamDelivered = false;
            try
            {
                await FollowAsync(cancellationToken).ConfigureAwait(false);
                lastFailure = "its event stream ended";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (EngineUnavailableException error)
            {
                // not running, restarting, or the socket is gone: wait and try again
                lastFailure = error.Message;
            }
#pragma warning disable CA1031 // the loop must outlive an engine that misbehaves; the failure is counted
            catch (Exception error)
            {
                lastFailure = error.Message;
                Interlocked.Increment(ref counters.LoopFailures);
            }
#pragma warning restore CA1031

            Volatile.Write(ref connected, 0);

            // a connection that delivered, or lasted, was good: start the waits again from the minimum
            if (streamDelivered || time.GetElapsedTime(connectedAt) >= options.MaximumBackoff)
            {
                backoff.Reset();
            }

            Interlocked.Increment(ref counters.Reconnects);
            try
            {
                await Task.Delay(backoff.Next(), time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        Volatile.Write(ref connected, 0);
    }

    /// <summary>One connection: subscribe, list and inspect, then act on events until the stream ends or fails.</summary>
    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        IAsyncEnumerator<RuntimeEvent> stream = engine.EventsAsync(connection.Token).GetAsyncEnumerator(connection.Token);
        Task<bool> next = Task.FromResult(false);
        try
        {
            // subscribe before listing: a container created in between is then in one or the other
            next = stream.MoveNextAsync().AsTask();
            await SynchronizeAsync(cancellationToken).ConfigureAwait(false);
            if (!next.IsFaulted && !next.IsCanceled)
            {
                lastFailure = null;
                Volatile.Write(ref connected, 1); // a subscription that already failed is not a connection
            }

            while (await next.ConfigureAwait(false))
            {
                streamDelivered = true;
                await HandleAsync(stream.Current, cancellationToken).ConfigureAwait(false);
                next = stream.MoveNextAsync().AsTask();
            }
        }
        finally
        {
            // an enumerator may not be disposed while a MoveNextAsync is pending: cancel it and let it end
            await connection.CancelAsync().ConfigureAwait(false);
            await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Lists and inspects every container; a known container the engine no longer lists was removed while we were away.</summary>
    private async Task SynchronizeAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> ids = await engine.ListContainerIdsAsync(cancellationToken).ConfigureAwait(false);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in ids)
        {
            if (ContainerIds.IsPlausible(id))
            {
                listed.Add(id);
            }
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.InspectParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(listed, parallel, async (id, token) => await FetchAsync(id, options.LookupTimeout, token).ConfigureAwait(false))
            .ConfigureAwait(false);

        foreach (string id in entries.Keys)
        {
            if (!listed.Contains(id))
            {
                MarkExited(id);
            }
        }
    }

    /// <summary>Acts on one event, keeps it in the container's recent events, and publishes it.</summary>
    private async Task HandleAsync(RuntimeEvent runtimeEvent, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref counters.EventsReceived);
        string id = runtimeEvent.ContainerId;
        if (ContainerIds.IsPlausible(id))
        {
            switch (runtimeEvent.Kind)
            {
                case RuntimeEventKind.ContainerCreate:
                case RuntimeEventKind.ContainerStart:
                    // inspect now, before the first packet; a start also fixes the published ports
                    exitedAt.TryRemove(id, out _);
                    notFoundAt.TryRemove(id, out _);
                    await FetchAsync(id, options.LookupTimeout, cancellationToken).ConfigureAwait(false);
                    break;
                case RuntimeEventKind.ContainerDie:
                    if (!entries.ContainsKey(id))
                    {
                        // lived and died between two looks: inspect it while it still exists
                        await FetchAsync(id, options.LookupTimeout, cancellationToken).ConfigureAwait(false);
                    }

                    MarkExited(id);
                    break;
                case RuntimeEventKind.ContainerDestroy:
                    MarkExited(id);
                    break;
                default:
                    RequestLookup(id); // exec or network event of a container not seen yet
                    break;
            }

            Remember(runtimeEvent);
        }

        if (!runtimeEvents.Writer.TryWrite(runtimeEvent))
        {
            Interlocked.Increment(ref counters.EventsDropped);
        }
    }

    private async Task RunLookupsAsync(CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.InspectParallelism, CancellationToken = cancellationToken };
        try
        {
            await Parallel.ForEachAsync(lookups.Reader.ReadAllAsync(cancellationToken), parallel, async (id, token) =>
            {
                try
                {
                    if (!entries.ContainsKey(id))
                    {
                        await FetchAsync(id, options.LookupTimeout, token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    pendingLookups.TryRemove(id, out _);
                }
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // disposed
        }
    }

    /// <summary>Inspects and caches; null (counted) when the engine does not know the id, fails or is too slow.</summary>
    private async Task<ContainerMetadata?> FetchAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        ContainerMetadata? metadata;
        try
        {
            metadata = await engine.InspectAsync(id, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref counters.LookupsFailed);
            return null;
        }
        catch (EngineUnavailableException)
        {
            Interlocked.Increment(ref counters.LookupsFailed);
            return null;
        }

        if (metadata is null)
        {
            Interlocked.Increment(ref counters.NotFound);
            if (notFoundAt.Count >= MaxNotFound)
            {
                notFoundAt.Clear();
            }

            notFoundAt[id] = time.GetTimestamp();
            return null;
        }

        entries[metadata.Id] = metadata;
        notFoundAt.TryRemove(metadata.Id, out _);
        return metadata;
    }

    /// <summary>Starts the container's retention, unless it has started already (a die, then a destroy).</summary>
    private void MarkExited(string id) => exitedAt.TryAdd(id, time.GetTimestamp());

    private void Remember(RuntimeEvent runtimeEvent)
    {
        string id = runtimeEvent.ContainerId;
        if (!recent.TryGetValue(id, out RecentEventRing? ring))
        {
            if (recent.Count >= options.MaxTrackedContainers)
            {
                return;
            }

            ring = recent.GetOrAdd(id, static (_, capacity) => new RecentEventRing(capacity), options.RecentEventsPerContainer);
        }

        ring.Add(runtimeEvent);
    }

    /// <summary>Evicts containers whose retention has passed, and forgets old "not found" answers.</summary>
    private void Sweep()
    {
        foreach (KeyValuePair<string, long> exited in exitedAt)
        {
            // removing the exact pair fails when a start cleared it meanwhile
            if (time.GetElapsedTime(exited.Value) < options.Retention || !exitedAt.TryRemove(exited))
            {
                continue;
            }

            recent.TryRemove(exited.Key, out _);
            if (entries.TryRemove(exited.Key, out _))
            {
                Interlocked.Increment(ref counters.Evicted);
            }
        }

        foreach (KeyValuePair<string, long> unknown in notFoundAt)
        {
            if (time.GetElapsedTime(unknown.Value) >= options.NotFoundRetry)
            {
                notFoundAt.TryRemove(unknown);
            }
        }
    }
}
