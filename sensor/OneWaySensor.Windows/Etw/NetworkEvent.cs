namespace OneWaySensor.Windows.Etw;

/// <summary>The kernel TCP/IP and UDP/IP events the ETW source maps onto flows.</summary>
public enum NetworkEventKind : byte
{
    /// <summary>Data handed to TCP for sending (one send request, not one segment).</summary>
    TcpSend,

    /// <summary>Data TCP delivered to the socket (one receive, not one segment).</summary>
    TcpRecv,

    /// <summary>An outbound connection completed its handshake.</summary>
    TcpConnect,

    /// <summary>An inbound connection completed its handshake on a listening socket.</summary>
    TcpAccept,

    /// <summary>The connection closed; the event does not say which side closed it.</summary>
    TcpDisconnect,

    /// <summary>TCP sent data again that it had sent before.</summary>
    TcpRetransmit,

    /// <summary>One datagram sent.</summary>
    UdpSend,

    /// <summary>One datagram received.</summary>
    UdpRecv,
}

/// <summary>
/// One kernel network event, normalized from whichever TraceEvent class
/// carried it, so that everything after the session is plain data the tests
/// can build. Addresses are the 16 raw bytes of
/// <see cref="OneWaySensor.Flows.FlowAddress.FromIPAddress"/> (IPv4 in the
/// first 4); local is the socket on this host.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="ProcessId">The process that owns the socket, from the event's payload (0 when the kernel did not know).</param>
/// <param name="IpVersion">4 or 6.</param>
/// <param name="LocalAddress">The address of this host's socket.</param>
/// <param name="LocalPort">The port of this host's socket.</param>
/// <param name="RemoteAddress">The peer's address.</param>
/// <param name="RemotePort">The peer's port.</param>
/// <param name="Size">Payload bytes the event reports (0 for connect, accept and disconnect).</param>
/// <param name="TimeUnixNs">When the event was logged, nanoseconds since the Unix epoch.</param>
public readonly record struct NetworkEvent(
    NetworkEventKind Kind,
    uint ProcessId,
    byte IpVersion,
    UInt128 LocalAddress,
    ushort LocalPort,
    UInt128 RemoteAddress,
    ushort RemotePort,
    uint Size,
    long TimeUnixNs);
