namespace OneWaySensor.Packets;

/// <summary>
/// The EtherType values (IEEE registry) the parser follows. GRE's protocol
/// type field and the Linux cooked header's protocol field use the same numbers.
/// </summary>
internal static class EtherType
{
    public const ushort Ipv4 = 0x0800;
    public const ushort Ipv6 = 0x86DD;

    /// <summary>802.1Q tag.</summary>
    public const ushort Vlan = 0x8100;

    /// <summary>802.1ad service tag: the outer tag of QinQ.</summary>
    public const ushort ServiceVlan = 0x88A8;

    /// <summary>The pre-standard QinQ outer tag some switches still send.</summary>
    public const ushort LegacyQinQ = 0x9100;

    public const ushort MplsUnicast = 0x8847;
    public const ushort MplsMulticast = 0x8848;
    public const ushort PppoeSession = 0x8864;
    public const ushort CiscoFabricPath = 0x8903;

    /// <summary>GRE's "transparent Ethernet bridging": the payload is a whole Ethernet frame.</summary>
    public const ushort TransparentEthernetBridging = 0x6558;

    /// <summary>PPP, as PPTP's enhanced GRE carries it.</summary>
    public const ushort Ppp = 0x880B;

    /// <summary>Values up to 1500 are an 802.3 frame's length, not a type; an LLC header follows.</summary>
    public const ushort MaxFrameLength = 1500;
}
