using OneWaySensor.Containers;

namespace OneWaySensor.Detection;

/// <summary>What a cgroup is: its path, the container it holds (if any) and what the engine said of it.</summary>
public sealed record Workload(ulong CgroupId, string? CgroupPath, ContainerIdentity? Container, ContainerMetadata? Metadata);

/// <summary>
/// Answers <see cref="Describe"/> from caches only: the detections run on the
/// source's thread and must never wait for a container engine.
/// </summary>
public interface IWorkloadDirectory
{
    Workload Describe(ulong cgroupId);
}
