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

    /// <summary>
    /// Multicast and broadcast destinations (IPv6 neighbour discovery, MLD,
    /// mDNS, DHCP) never answer to the sender by design: one-way by nature,
    /// not a channel to a peer, so the rules leave them out.
    /// </summary>
    public bool IsMulticastOrBroadcast
    {
        get
        {
            if (IpVersion == 0)
            {
                return false;
            }

            System.Net.IPAddress address = Address;
            if (IpVersion == 6)
            {
                return address.IsIPv6Multicast;
            }

            byte first = address.GetAddressBytes()[0];
            return first is >= 224 and <= 239 || address.Equals(System.Net.IPAddress.Broadcast);
        }
    }
}
