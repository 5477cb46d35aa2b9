namespace OneWaySensor.Packets;

/// <summary>The IP protocol numbers (IANA) the parser reads past.</summary>
internal static class IpProtocol
{
    public const byte Icmp = 1;
    public const byte IpInIpv4 = 4;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Ipv6InIp = 41;
    public const byte Gre = 47;
    public const byte IcmpV6 = 58;

    /// <summary>The transports whose header the parser reads and whose payload it counts.</summary>
    public static bool IsCounted(byte protocol) => protocol is Tcp or Udp or Icmp or IcmpV6;
}
