using System.Net;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Baseline;

/// <summary>
/// A remote endpoint as a baseline remembers it: no cgroup (a baseline is per
/// image, across its containers). ICMP flows carry the echo identifier in
/// their ports, which changes with every ping, so ICMP is kept with port 0.
/// </summary>
public readonly record struct BaselineDestination(FlowProtocol Protocol, byte IpVersion, UInt128 RemoteAddress, ushort RemotePort)
{
    public static BaselineDestination Of(DestinationKey destination) =>
        new(destination.Protocol, destination.IpVersion, destination.RemoteAddress, PortOf(destination.Protocol, destination.RemotePort));

    public static BaselineDestination Of(in FlowKey flow) =>
        new(flow.Protocol, flow.IpVersion, flow.RemoteAddress, PortOf(flow.Protocol, flow.RemotePort));

    /// <summary>The coarse form: protocol and port.</summary>
    public BaselinePort Port => new(Protocol, RemotePort);

    public IPAddress Address => FlowAddress.ToIPAddress(RemoteAddress, IpVersion);

    /// <summary>The port a baseline keeps for a protocol: 0 for ICMP, whose ports hold the echo identifier.</summary>
    public static ushort PortOf(FlowProtocol protocol, ushort port) =>
        protocol is FlowProtocol.Icmp or FlowProtocol.IcmpV6 ? (ushort)0 : port;
}

/// <summary>A protocol and remote port an image used, whatever the address.</summary>
public readonly record struct BaselinePort(FlowProtocol Protocol, ushort RemotePort);
