using System.Collections.Concurrent;
using OneWaySensor.Connections;
using OneWaySensor.Containers;
using OneWaySensor.Flows;

namespace OneWaySensor.Cli;

/// <summary>
/// Containers by address, for the pcap source: the engines' view of each
/// container's network addresses names the container behind a captured flow.
/// A container gets a workload id of its own where the eBPF source would put
/// a cgroup id: a 63-bit hash of its id with the top bit set (no cgroup inode
/// has it). Answers are cached for a few seconds, so a capture does
/// not ask the engines per packet, and a reused address is relearned.
/// </summary>
internal sealed class ContainerAddresses(ContainerEngines engines, TimeProvider? time = null) : IAddressAttribution
{
    public const ulong WorkloadBit = 1UL << 63;
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);

    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private readonly Dictionary<UInt128, (ulong Workload, long Until)> byAddress = [];
    private readonly ConcurrentDictionary<ulong, ContainerIdentity> byWorkload = new();

    /// <summary>On the source's thread.</summary>
    public ulong WorkloadOf(UInt128 address, byte ipVersion)
    {
        long now = clock.GetTimestamp();
        if (byAddress.TryGetValue(address, out (ulong Workload, long Until) known) && now < known.Until)
        {
            return known.Workload;
        }

        (ContainerMetadata Metadata, ContainerRuntime Runtime)? found = engines.FindByAddress(FlowAddress.ToIPAddress(address, ipVersion));
        ulong workload = found is { } container ? Register(container.Metadata.Id, container.Runtime) : 0;
        byAddress[address] = (workload, now + (long)(Freshness.TotalSeconds * clock.TimestampFrequency));
        return workload;
    }

    /// <summary>Any thread: the container behind a workload id this class gave out.</summary>
    public ContainerIdentity? IdentityOf(ulong workload) =>
        (workload & WorkloadBit) != 0 && byWorkload.TryGetValue(workload, out ContainerIdentity? identity) ? identity : null;

    private ulong Register(string containerId, ContainerRuntime runtime)
    {
        // FNV-1a: stable for the sensor's run, whatever characters the engine's id has
        ulong hash = 14695981039346656037UL;
        foreach (char c in containerId)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        ulong workload = WorkloadBit | (hash & ~WorkloadBit);
        byWorkload[workload] = new ContainerIdentity(runtime, containerId);
        return workload;
    }
}
