namespace OneWaySensor.Connections;

/// <summary>
/// Names the workload that holds an address, for sources that see addresses
/// but no sockets (a capture): the id is used where the eBPF source puts a
/// cgroup id; 0 means no known workload holds it.
/// </summary>
public interface IAddressAttribution
{
    ulong WorkloadOf(UInt128 address, byte ipVersion);
}
