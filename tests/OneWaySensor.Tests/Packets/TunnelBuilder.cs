using static OneWaySensor.Tests.Packets.Bytes;

namespace OneWaySensor.Tests.Packets;

/// <summary>Tunnel headers around an inner packet or frame for the parser tests.</summary>
internal static class TunnelBuilder
{
    public const byte Gre = 47;
    public const ushort TransparentEthernetBridging = 0x6558;

    /// <summary>GRE version 0 with the optional fields asked for (their values are arbitrary).</summary>
    public static byte[] Gre0(ushort protocolType, byte[] payload, bool checksum = false, bool key = false, bool sequence = false)
    {
        int flags = (checksum ? 0x8000 : 0) | (key ? 0x2000 : 0) | (sequence ? 0x1000 : 0);
        return Concat(
            Be16(flags),
            Be16(protocolType),
            checksum ? Be32(0) : [],
            key ? Be32(0xABCD) : [],
            sequence ? Be32(7) : [],
            payload);
    }

    /// <summary>PPTP's enhanced GRE (version 1, key always present) carrying a PPP frame.</summary>
    public static byte[] PptpGre(byte[] pppFrame, bool sequence = true, bool acknowledgment = false) => Concat(
        Be16(0x2001 | (sequence ? 0x1000 : 0) | (acknowledgment ? 0x0080 : 0)),
        Be16(0x880B),
        Be16(pppFrame.Length),
        Be16(6016),
        sequence ? Be32(430001) : [],
        acknowledgment ? Be32(539254) : [],
        pppFrame);

    /// <summary>A PPP frame: [address/control FF 03] protocol (2 bytes, or 1 when compressed) packet.</summary>
    public static byte[] Ppp(ushort protocol, byte[] packet, bool addressControl = true, bool compressProtocol = false) => Concat(
        addressControl ? [0xFF, 0x03] : [],
        compressProtocol ? [(byte)protocol] : Be16(protocol),
        packet);

    public static byte[] Vxlan(byte[] innerEthernet, int vni = 123) => Concat([0x08, 0, 0, 0], [(byte)(vni >> 16), (byte)(vni >> 8), (byte)vni, 0], innerEthernet);

    /// <summary>A Teredo payload: optional authentication and origin indication headers, then the IPv6 packet.</summary>
    public static byte[] Teredo(byte[] ipv6, bool authentication = false, bool originIndication = false) => Concat(
        authentication ? Concat([0x00, 0x01, 2, 3], [0xC1, 0xC2], [0xA1, 0xA2, 0xA3], Pattern(8), [0]) : [],
        originIndication ? Concat([0x00, 0x00], Be16(0x1234 ^ 0xFFFF), [0xC0 ^ 0xFF, 0x00, 0x02 ^ 0xFF, 0x01 ^ 0xFF]) : [],
        ipv6);
}
