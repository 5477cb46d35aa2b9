using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.Diagnostics.Tracing;
using OneWaySensor.Flows;

namespace OneWaySensor.Windows.Etw;

/// <summary>
/// Normalizes the fields TraceEvent decodes from a kernel TcpIp or UdpIp
/// event into a <see cref="NetworkEvent"/>. Not run by any test: TraceEvent
/// builds its event objects only from a live session or an .etl file, and
/// both need Windows.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class KernelEventConversions
{
    /// <summary>
    /// Takes <paramref name="saddr"/> and <paramref name="sport"/> as this
    /// host's socket and <paramref name="daddr"/>, <paramref name="dport"/>
    /// as the peer, for sends and receives alike: the kernel logs the
    /// connection's own tuple. That reading of the fields is not verified on
    /// Windows yet; if receives turn out to carry the tuple the other way
    /// round, they will show up here as flows of their own. Ports arrive in
    /// host order (TraceEvent swaps them). TraceEvent allocates an
    /// <see cref="IPAddress"/> per address read: the one allocation per event
    /// on this path.
    /// </summary>
    public static NetworkEvent From(NetworkEventKind kind, TraceEvent data, IPAddress saddr, int sport, IPAddress daddr, int dport, int size)
    {
        IPAddress local = Unmapped(saddr);
        IPAddress remote = Unmapped(daddr);
        bool carriesData = kind is not (NetworkEventKind.TcpConnect or NetworkEventKind.TcpAccept or NetworkEventKind.TcpDisconnect);
        return new NetworkEvent(
            kind,
            (uint)data.ProcessID,
            local.AddressFamily == AddressFamily.InterNetworkV6 ? (byte)6 : (byte)4,
            FlowAddress.FromIPAddress(local),
            (ushort)sport,
            FlowAddress.FromIPAddress(remote),
            (ushort)dport,
            carriesData && size > 0 ? (uint)size : 0,
            UnixTime.FromDateTimeOffset(new DateTimeOffset(data.TimeStamp)));
    }

    /// <summary>A dual-mode socket's IPv4 peer as IPv4, so it keys the same flow as on an IPv4 socket.</summary>
    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
