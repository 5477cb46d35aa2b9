using OneWaySensor.Flows;

namespace OneWaySensor.Connections;

/// <summary>
/// Connections in the sensor's one flow model: the originator is the local
/// side (a capture has no socket to say which side is "ours"), so a
/// connection's orig-to-resp traffic is the flow's transmit direction and
/// one_way_flow means what Zeek's S0 and SH mean. TCP payload is taken from
/// the sequence space, as the eBPF source counts it.
/// </summary>
public static class ConnectionFlows
{
    public static FlowSample Sample(in Connection connection, ulong cgroupId)
    {
        bool tcp = connection.Key.Protocol == (byte)FlowProtocol.Tcp;
        ulong origPayload = tcp ? connection.Orig.Size(connection.Resp) : connection.OrigPayload;
        ulong respPayload = tcp ? connection.Resp.Size(connection.Orig) : connection.RespPayload;
        return new FlowSample(
            KeyOf(connection.Key, cgroupId),
            new FlowCounters(connection.OrigPackets, connection.OrigIpBytes, origPayload),
            new FlowCounters(connection.RespPackets, connection.RespIpBytes, respPayload),
            connection.OrigFlags,
            connection.RespFlags,
            FlowInitiator.Local,
            connection.FirstSeenUnixNs,
            connection.LastSeenUnixNs);
    }

    public static FlowKey KeyOf(in ConnectionKey key, ulong cgroupId) =>
        new(cgroupId, key.IpVersion, (FlowProtocol)key.Protocol, key.OrigAddress, key.OrigPort, key.RespAddress, key.RespPort);
}
