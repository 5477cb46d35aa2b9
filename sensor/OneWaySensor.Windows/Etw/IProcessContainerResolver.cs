namespace OneWaySensor.Windows.Etw;

/// <summary>
/// Tells which container a process runs in. Windows has no cgroups; the key
/// fills the flow model's cgroup id, so that flows of one container group
/// together as they do on Linux. A runtime that knows its containers (server
/// silos or the job objects of process-isolated containers) can map their
/// processes here; everything else is the host.
/// </summary>
public interface IProcessContainerResolver
{
    /// <summary>
    /// The container key of <paramref name="processId"/>, or 0 for the host.
    /// Called once per event, so it must be a lookup, not a query of the system.
    /// </summary>
    ulong ContainerOf(uint processId);
}

/// <summary>The default: every process is the host's.</summary>
public sealed class HostOnlyContainerResolver : IProcessContainerResolver
{
    public static HostOnlyContainerResolver Instance { get; } = new();

    public ulong ContainerOf(uint processId) => 0;
}
