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
/// The detections ask for every destination on every poll, so the answer is
/// cached too, and made anew only when the engine's metadata changes.
/// </summary>
internal sealed class WorkloadDirectory(ICgroupDirectory cgroups, ContainerEngines engines, ContainerAddresses? addresses = null) : IWorkloadDirectory
{
    private readonly ConcurrentDictionary<ulong, Workload> known = new();

    public Workload Describe(ulong cgroupId)
    {
        // the pcap source names containers by address, with workload ids of their own
        if (addresses?.IdentityOf(cgroupId) is ContainerIdentity addressed)
        {
            return new Workload(cgroupId, null, addressed, engines.TryGetOrRequest(addressed.Id));
        }

        if (!known.TryGetValue(cgroupId, out Workload? workload))
        {
            string? found = cgroups.PathOf(cgroupId);
            workload = new Workload(cgroupId, found, CgroupPathParser.Parse(found), null);
            if (found is not null)
            {
                // a path not found now (walks are rate-limited) is asked for again next time
                known[cgroupId] = workload;
            }
        }

        if (workload.Container is null)
        {
            return workload;
        }

        ContainerMetadata? metadata = engines.TryGetOrRequest(workload.Container.Id);
        if (ReferenceEquals(metadata, workload.Metadata))
        {
            return workload;
        }

        workload = workload with { Metadata = metadata };
        if (workload.CgroupPath is not null)
        {
            known[cgroupId] = workload;
        }

        return workload;
    }

    /// <summary>Forgets a cgroup that is gone, so the cache follows the cgroups that exist.</summary>
    public void Forget(ulong cgroupId) => known.TryRemove(cgroupId, out _);
}
