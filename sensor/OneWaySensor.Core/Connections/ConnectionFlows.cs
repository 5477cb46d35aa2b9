using OneWaySensor.Flows;

namespace OneWaySensor.Connections;

/// <summary>
/// Connections in the sensor's one flow model. A capture has no socket to say
/// which side is "ours": the local side is the one a known workload (a
/// container, by its address) holds, the originator when that is either or
/// neither. So a connection's traffic from that side is the flow's transmit
/// direction, and one_way_flow means what Zeek's S0 and SH mean. TCP payload
/// is taken from the sequence space, as the eBPF source counts it.
/// </summary>
public static class ConnectionFlows
{
    public static FlowSample Sample(in Connection connection, IAddressAttribution? attribution = null)
    {
        ConnectionKey key = connection.Key;
        ulong origWorkload = attribution?.WorkloadOf(key.OrigAddress, key.IpVersion) ?? 0;
        ulong respWorkload = origWorkload == 0 ? attribution?.WorkloadOf(key.RespAddress, key.IpVersion) ?? 0 : 0;
        bool tcp = key.Protocol == (byte)FlowProtocol.Tcp;
        var orig = new FlowCounters(connection.OrigPackets, connection.OrigIpBytes, tcp ? connection.Orig.Size(connection.Resp) : connection.OrigPayload);
        var resp = new FlowCounters(connection.RespPackets, connection.RespIpBytes, tcp ? connection.Resp.Size(connection.Orig) : connection.RespPayload);
        if (respWorkload != 0)
        {
            // the responder is the known workload: seen from it, the originator is the remote side
            return new FlowSample(
                new FlowKey(respWorkload, key.IpVersion, (FlowProtocol)key.Protocol, key.RespAddress, key.RespPort, key.OrigAddress, key.OrigPort),
                resp, orig, connection.RespFlags, connection.OrigFlags, FlowInitiator.Remote, connection.FirstSeenUnixNs, connection.LastSeenUnixNs);
        }

        return new FlowSample(
            new FlowKey(origWorkload, key.IpVersion, (FlowProtocol)key.Protocol, key.OrigAddress, key.OrigPort, key.RespAddress, key.RespPort),
            orig, resp, connection.OrigFlags, connection.RespFlags, FlowInitiator.Local, connection.FirstSeenUnixNs, connection.LastSeenUnixNs);
    }
}
