namespace OneWaySensor.Flows;

/// <summary>The L4 protocols a flow can carry, numbered as in the IP header.</summary>
public enum FlowProtocol : byte
{
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
    IcmpV6 = 58,
}

/// <summary>Which side sent a flow's opening packet, seen from the local socket.</summary>
public enum FlowInitiator : byte
{
    Local = 0,
    Remote = 1,
}
