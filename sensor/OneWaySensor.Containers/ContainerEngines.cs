using OneWaySensor.Containers.Engine;

namespace OneWaySensor.Containers;

/// <summary>
/// Every container engine the sensor asks, one Docker Engine API socket each
/// (Docker's, Podman's): one metadata cache per engine behind one lookup,
/// and their runtime events merged into one callback. Container ids are
/// unique across engines, so a lookup asks them all.
/// </summary>
public sealed class ContainerEngines : IAsyncDisposable
{
    private readonly List<(string Socket, DockerEngineClient Client, ContainerMetadataCache Cache)> engines = [];
    private readonly List<Task> pumps = [];

    public ContainerEngines(IEnumerable<string> sockets, ContainerMetadataCacheOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sockets);
        foreach (string socket in sockets)
        {
            var client = new DockerEngineClient(socket);
            engines.Add((socket, client, new ContainerMetadataCache(client, options)));
        }
    }

    public IReadOnlyList<string> Sockets => engines.Select(engine => engine.Socket).ToList();

    /// <summary>The sockets whose engine answers now.</summary>
    public IReadOnlyList<string> ConnectedSockets => engines.Where(engine => engine.Cache.Connected).Select(engine => engine.Socket).ToList();

    /// <summary>Each engine's connection now: answering, or why not (null before its first attempt ends).</summary>
    public IReadOnlyList<EngineConnection> Connections() =>
        [.. engines.Select(engine => new EngineConnection(engine.Socket, engine.Cache.Connected, engine.Cache.LastFailure))];

    /// <summary>Starts every cache's background loop and sends their runtime events to <paramref name="onRuntimeEvent"/>.</summary>
    public void Start(Action<RuntimeEvent> onRuntimeEvent)
    {
        ArgumentNullException.ThrowIfNull(onRuntimeEvent);
        foreach ((_, _, ContainerMetadataCache cache) in engines)
        {
            cache.Start();
            pumps.Add(Task.Run(async () =>
            {
                await foreach (RuntimeEvent runtimeEvent in cache.RuntimeEvents.ReadAllAsync())
                {
                    onRuntimeEvent(runtimeEvent);
                }
            }));
        }
    }

    /// <summary>From memory only; never waits.</summary>
    public ContainerMetadata? TryGet(string id)
    {
        foreach ((_, _, ContainerMetadataCache cache) in engines)
        {
            if (cache.TryGet(id, out ContainerMetadata? metadata))
            {
                return metadata;
            }
        }

        return null;
    }

    /// <summary>From memory; on a miss asks every engine in the background, for the next time.</summary>
    public ContainerMetadata? TryGetOrRequest(string id)
    {
        ContainerMetadata? metadata = TryGet(id);
        if (metadata is null)
        {
            foreach ((_, _, ContainerMetadataCache cache) in engines)
            {
                cache.RequestLookup(id);
            }
        }

        return metadata;
    }

    /// <summary>From memory, else asks every engine at once and waits up to <paramref name="timeout"/>.</summary>
    public async Task<ContainerMetadata?> GetOrFetchAsync(string id, TimeSpan timeout, CancellationToken cancellation)
    {
        if (TryGet(id) is ContainerMetadata known)
        {
            return known;
        }

        ContainerMetadata?[] answers = await Task.WhenAll(engines.Select(engine => engine.Cache.GetOrFetchAsync(id, timeout, cancellation)));
        return answers.FirstOrDefault(answer => answer is not null);
    }

    /// <summary>The running container that holds <paramref name="address"/>, and its runtime, from any engine's memory.</summary>
    public (ContainerMetadata Metadata, ContainerRuntime Runtime)? FindByAddress(System.Net.IPAddress address)
    {
        foreach ((string socket, _, ContainerMetadataCache cache) in engines)
        {
            if (cache.FindByAddress(address) is ContainerMetadata found)
            {
                // Podman serves the Docker Engine API too: its socket says which it is
                return (found, socket.Contains("podman", StringComparison.Ordinal) ? ContainerRuntime.Podman : ContainerRuntime.Docker);
            }
        }

        return null;
    }

    /// <summary>The container's recent runtime events, from whichever engine runs it.</summary>
    public IReadOnlyList<RuntimeEvent> RecentEvents(string id) =>
        engines.Select(engine => engine.Cache.RecentEvents(id)).FirstOrDefault(events => events.Count > 0) ?? [];

    /// <summary>Malformed answers and other counters, summed over the engines.</summary>
    public (ulong Malformed, ulong Reconnects, ulong Hits, ulong Misses) Totals()
    {
        ulong malformed = 0, reconnects = 0, hits = 0, misses = 0;
        foreach ((_, DockerEngineClient client, ContainerMetadataCache cache) in engines)
        {
            malformed += client.Counters.MalformedAnswers;
            reconnects += cache.Counters.Reconnects;
            hits += cache.Counters.Hits;
            misses += cache.Counters.Misses;
        }

        return (malformed, reconnects, hits, misses);
    }

    public async ValueTask DisposeAsync()
    {
        foreach ((_, DockerEngineClient client, ContainerMetadataCache cache) in engines)
        {
            await cache.DisposeAsync();
            client.Dispose();
        }

        // the pumps end when the caches complete their event channels; never hang a shutdown on one
        await Task.WhenAny(Task.WhenAll(pumps), Task.Delay(TimeSpan.FromSeconds(2)));
    }
}
