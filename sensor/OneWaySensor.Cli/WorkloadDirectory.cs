using System.Collections.Concurrent;
using OneWaySensor.Cgroups;
using OneWaySensor.Containers;
using OneWaySensor.Containers.Cgroups;
using OneWaySensor.Detection;

namespace OneWaySensor.Cli;

/// <summary>
/// cgroup id → workload, from caches only: the cgroup's path (resolved once),
/// the container its path names (parsed once) and the engine's metadata
/// (a cache lookup, asked for in the background on a miss).
/// </summary>
internal sealed class WorkloadDirectory(ICgroupDirectory cgroups, ContainerEngines engines) : IWorkloadDirectory
{
    private readonly ConcurrentDictionary<ulong, (string? Path, ContainerIdentity? Container)> identities = new();

    public Workload Describe(ulong cgroupId)
    {
        if (!identities.TryGetValue(cgroupId, out (string? Path, ContainerIdentity? Container) known))
        {
            string? found = cgroups.PathOf(cgroupId);
            known = (found, CgroupPathParser.Parse(found));
            if (found is not null)
            {
                // a path not found now (walks are rate-limited) is asked for again next time
                identities[cgroupId] = known;
            }
        }

        (string? path, ContainerIdentity? container) = known;
        ContainerMetadata? metadata = container is null ? null : engines.TryGetOrRequest(container.Id);
        return new Workload(cgroupId, path, container, metadata);
    }
}
