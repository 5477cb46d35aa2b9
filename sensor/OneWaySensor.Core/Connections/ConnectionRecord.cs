using OneWaySensor.Flows;

namespace OneWaySensor.Connections;

/// <summary>
/// A connection as Zeek's conn.log states it. Sizes are null where Zeek
/// leaves them unset (a connection of no duration).
/// </summary>
public sealed record ConnectionRecord(
    ConnectionKey Key,
    string ConnState,
    string History,
    ulong OrigPackets,
    ulong RespPackets,
    ulong? OrigBytes,
    ulong? RespBytes,
    ulong OrigIpBytes,
    ulong RespIpBytes,
    long FirstSeenUnixNs,
    long LastSeenUnixNs)
{
    public string ProtocolName => Key.Protocol switch
    {
        (byte)FlowProtocol.Tcp => "tcp",
        (byte)FlowProtocol.Udp => "udp",
        (byte)FlowProtocol.Icmp or (byte)FlowProtocol.IcmpV6 => "icmp",
        _ => "unknown_transport",
    };
}
