using System.Collections.Concurrent;
using OneWaySensor.Cgroups;
using OneWaySensor.Containers;
using OneWaySensor.Containers.Cgroups;
using OneWaySensor.Detection;

namespace OneWaySensor.Cli;

/// <summary>
/// cgroup id → workload, from caches only: the cgroup's path (resolved once),
/// the container its path names (parsed once) and the engine's metadata
/// (a cache lookup, asked for in the background on a miss). Under the pcap
/// source, ids that <see cref="ContainerAddresses"/> gave out name containers.
/// </summary>
internal sealed class WorkloadDirectory(ICgroupDirectory cgroups, ContainerEngines engines, ContainerAddresses? addresses = null) : IWorkloadDirectory
{
    private readonly ConcurrentDictionary<ulong, (string? Path, ContainerIdentity? Container)> identities = new();

    public Workload Describe(ulong cgroupId)
    {
        // the pcap source names containers by address, with workload ids of their own
        if (addresses?.IdentityOf(cgroupId) is ContainerIdentity addressed)
        {
            return new Workload(cgroupId, null, addressed, engines.TryGetOrRequest(addressed.Id));
        }

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
