using OneWaySensor.Detection.Scoring;
using OneWaySensor.Flows;

namespace OneWaySensor.Connections;

/// <summary>A finished connection as a conn.log record: Zeek's conn_state from the endpoint states, sizes as Zeek reports them.</summary>
public static class ConnectionRecords
{
    public static ConnectionRecord From(in Connection connection)
    {
        bool tcp = connection.Key.Protocol == (byte)FlowProtocol.Tcp;
        ulong origBytes = tcp ? connection.Orig.Size(connection.Resp) : connection.OrigPayload;
        ulong respBytes = tcp ? connection.Resp.Size(connection.Orig) : connection.RespPayload;
        string history = connection.History.ToString();

        // Zeek states sizes (and duration) only for a connection that lasted
        bool lasted = connection.LastSeenUnixNs > connection.FirstSeenUnixNs;
        return new ConnectionRecord(
            connection.Key,
            ConnState(connection, history),
            history.Length == 0 ? "-" : history,
            connection.OrigPackets,
            connection.RespPackets,
            lasted ? origBytes : null,
            lasted ? respBytes : null,
            connection.OrigIpBytes,
            connection.RespIpBytes,
            connection.FirstSeenUnixNs,
            connection.LastSeenUnixNs);
    }

    private static string ConnState(in Connection connection, string history)
    {
        switch (connection.Key.Protocol)
        {
            case (byte)FlowProtocol.Udp:
                return (connection.OrigSent, connection.RespSent) switch
                {
                    (true, true) => "SF",
                    (true, false) => "S0",
                    (false, true) => "SHR",
                    _ => "OTH",
                };
            case (byte)FlowProtocol.Tcp:
                return TcpConnState(connection, history);
            default:
                return "OTH";
        }
    }

    private static string TcpConnState(in Connection connection, string history)
    {
        bool noPayload = connection.Orig.Size(connection.Resp) == 0 && connection.Resp.Size(connection.Orig) == 0;
        return ZeekConnState.Tcp(connection.Orig.State, connection.Resp.State, noPayload, IsSynThenReset(history)).ToZeekString();
    }

    /// <summary>History "^?S[^HAFGIQ]*R": a SYN, then a RST before any handshake, ack, FIN or other sign of life.</summary>
    private static bool IsSynThenReset(string history)
    {
        int i = history.StartsWith('^') ? 1 : 0;
        if (i >= history.Length || history[i] != 'S')
        {
            return false;
        }

        for (i++; i < history.Length; i++)
        {
            char c = history[i];
            if (c == 'R')
            {
                return true;
            }

            if (c is 'H' or 'A' or 'F' or 'G' or 'I' or 'Q')
            {
                return false;
            }
        }

        return false;
    }
}
