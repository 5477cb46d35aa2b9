namespace OneWaySensor.Containers.Engine;

/// <summary>What the container directory's cache has counted, for the health output.</summary>
public struct ContainerCacheCounters
{
    /// <summary><see cref="ContainerMetadataCache.TryGet"/> calls answered from the cache.</summary>
    public ulong Hits;

    /// <summary><see cref="ContainerMetadataCache.TryGet"/> calls the cache could not answer.</summary>
    public ulong Misses;

    /// <summary>Lookup requests for an id already queued or in flight, merged into it.</summary>
    public ulong LookupsDeduplicated;

    /// <summary>Lookup requests dropped because the queue was full.</summary>
    public ulong LookupsDropped;

    /// <summary>Inspects that failed or timed out (the engine was unavailable).</summary>
    public ulong LookupsFailed;

    /// <summary>Inspects the engine answered "no such container" (or refused as malformed).</summary>
    public ulong NotFound;

    /// <summary>Times the event stream was lost or could not be opened, and a reconnect was scheduled.</summary>
    public ulong Reconnects;

    /// <summary>Runtime events received from the engine.</summary>
    public ulong EventsReceived;

    /// <summary>Runtime events the subscriber had no room for.</summary>
    public ulong EventsDropped;

    /// <summary>Containers evicted after their retention.</summary>
    public ulong Evicted;

    /// <summary>Failures of the event loop other than the engine being unavailable (a bug or an engine misbehaving).</summary>
    public ulong LoopFailures;
}
