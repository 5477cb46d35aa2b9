namespace OneWaySensor.Containers.Engine;

/// <summary>
/// What the container directory needs from a container engine. One seam, so
/// the cache runs against the Docker Engine API (Docker and Podman) in
/// production and against a fake in tests.
/// </summary>
/// <remarks>
/// An engine that cannot be reached throws <see cref="EngineUnavailableException"/>;
/// cancellation through the token throws <see cref="OperationCanceledException"/>.
/// </remarks>
public interface IContainerEngine
{
    /// <summary>The container's metadata, or null when the engine does not know it (or its answer was refused).</summary>
    Task<ContainerMetadata?> InspectAsync(string id, CancellationToken cancellationToken);

    /// <summary>The ids of every container, running or stopped.</summary>
    Task<IReadOnlyList<string>> ListContainerIdsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Container and network events from now on. The sequence ends when the
    /// engine closes the stream (a restart); the caller resubscribes.
    /// </summary>
    IAsyncEnumerable<RuntimeEvent> EventsAsync(CancellationToken cancellationToken);
}
