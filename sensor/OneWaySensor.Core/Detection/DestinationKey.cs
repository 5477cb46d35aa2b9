using OneWaySensor.Flows;

namespace OneWaySensor.Detection;

/// <summary>
/// One remote endpoint as one cgroup talks to it. Flows are aggregated by it,
/// so a client's changing ephemeral ports do not split one pattern into many.
/// </summary>
public readonly record struct DestinationKey(ulong CgroupId, FlowProtocol Protocol, byte IpVersion, UInt128 RemoteAddress, ushort RemotePort)
{
    public static DestinationKey Of(in FlowKey flow) =>
        new(flow.CgroupId, flow.Protocol, flow.IpVersion, flow.RemoteAddress, flow.RemotePort);

    /// <summary>The same endpoint seen from every cgroup: what an outage has in common.</summary>
    public DestinationKey WithoutCgroup => this with { CgroupId = 0 };

    public System.Net.IPAddress Address => FlowAddress.ToIPAddress(RemoteAddress, IpVersion);
}
