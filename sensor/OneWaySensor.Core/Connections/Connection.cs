namespace OneWaySensor.Connections;

/// <summary>Everything tracked of one connection; a value in the tracker's table, updated in place per packet.</summary>
public struct Connection
{
    public ConnectionKey Key;
    public long FirstSeenUnixNs;
    public long LastSeenUnixNs;

    /// <summary>After this time the next packet of the 5-tuple begins a new connection (Zeek's close, reset and inactivity timers).</summary>
    public long ExpiresUnixNs;

    public ulong OrigPackets;
    public ulong RespPackets;
    public ulong OrigIpBytes;
    public ulong RespIpBytes;

    /// <summary>UDP and ICMP payload; TCP sizes come from the sequence space instead.</summary>
    public ulong OrigPayload;
    public ulong RespPayload;
    /// <summary>TCP flags seen from each side, for the flow model's connection state.</summary>
    public byte OrigFlags;
    public byte RespFlags;
    public TcpEndpoint Orig;
    public TcpEndpoint Resp;
    public ConnectionHistory History;

    /// <summary>UDP: each side sent at least one packet.</summary>
    public bool OrigSent;
    public bool RespSent;
}
