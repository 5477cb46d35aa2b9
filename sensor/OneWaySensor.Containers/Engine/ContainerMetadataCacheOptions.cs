namespace OneWaySensor.Containers.Engine;

/// <summary>How long the container directory keeps what it learnt, and how hard it tries to learn it.</summary>
public sealed record ContainerMetadataCacheOptions
{
    /// <summary>
    /// How long a container's metadata and events outlive its die or destroy
    /// event: flows of a short-lived container are still being read and
    /// alerted on after it is gone.
    /// </summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often expired containers are looked for; eviction is up to this late.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Runtime events kept per container for <see cref="ContainerMetadataCache.RecentEvents"/>.</summary>
    public int RecentEventsPerContainer { get; init; } = 32;

    /// <summary>Containers whose recent events are kept; events of further containers are published but not kept.</summary>
    public int MaxTrackedContainers { get; init; } = 16384;

    /// <summary>Ids waiting for a lookup; a request beyond it is dropped and counted.</summary>
    public int LookupQueueCapacity { get; init; } = 1024;

    /// <summary>Events waiting for the subscriber; an event beyond it is dropped and counted.</summary>
    public int EventChannelCapacity { get; init; } = 4096;

    /// <summary>Bound on one background inspect.</summary>
    public TimeSpan LookupTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an id the engine did not know is not looked up again by <see cref="ContainerMetadataCache.RequestLookup"/>.</summary>
    public TimeSpan NotFoundRetry { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First wait before reconnecting to the engine; it doubles on each failure.</summary>
    public TimeSpan MinimumBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait before reconnecting.</summary>
    public TimeSpan MaximumBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Inspects in flight at once, for queued lookups and while listing the engine's containers.</summary>
    public int InspectParallelism { get; init; } = 4;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Retention, TimeSpan.Zero, nameof(Retention));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SweepInterval, TimeSpan.Zero, nameof(SweepInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(RecentEventsPerContainer, 1, nameof(RecentEventsPerContainer));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTrackedContainers, 1, nameof(MaxTrackedContainers));
        ArgumentOutOfRangeException.ThrowIfLessThan(LookupQueueCapacity, 1, nameof(LookupQueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(EventChannelCapacity, 1, nameof(EventChannelCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LookupTimeout, TimeSpan.Zero, nameof(LookupTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(NotFoundRetry, TimeSpan.Zero, nameof(NotFoundRetry));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MinimumBackoff, TimeSpan.Zero, nameof(MinimumBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaximumBackoff, MinimumBackoff, nameof(MaximumBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(InspectParallelism, 1, nameof(InspectParallelism));
    }
}
