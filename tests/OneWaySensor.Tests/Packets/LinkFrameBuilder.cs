using System.Buffers.Binary;
using static OneWaySensor.Tests.Packets.Bytes;

namespace OneWaySensor.Tests.Packets;

/// <summary>Link-layer framing around an IP packet (or anything else) for the parser tests.</summary>
internal static class LinkFrameBuilder
{
    public const ushort Ipv4Type = 0x0800;
    public const ushort Ipv6Type = 0x86DD;
    public const ushort ArpType = 0x0806;

    private static readonly byte[] Destination = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
    private static readonly byte[] Source = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

    public static byte[] Ethernet(ushort etherType, params byte[][] payload) => Concat(Destination, Source, Be16(etherType), Concat(payload));

    /// <summary>A VLAN tag's TCI and the type after it (the tag's own TPID is the type before it).</summary>
    public static byte[] VlanTag(int vlanId, ushort nextType) => Concat(Be16(vlanId), Be16(nextType));

    public static byte[] MplsLabel(int label, bool bottomOfStack) => Be32((uint)((label << 12) | (bottomOfStack ? 0x100 : 0) | 64));

    /// <summary>A PPPoE session header with the PPP protocol in front of the payload.</summary>
    public static byte[] PppoeSession(ushort pppProtocol, byte[] payload) => Concat([0x11, 0x00], Be16(0x0011), Be16(2 + payload.Length), Be16(pppProtocol), payload);

    /// <summary>A FabricPath frame: the 16-byte outer header (outer MACs, 0x8903, FTag/TTL), then the inner Ethernet frame.</summary>
    public static byte[] FabricPath(byte[] innerEthernet) => Concat(Destination, Source, Be16(0x8903), [0x00, 0x3F], innerEthernet);

    /// <summary>An 802.3 length frame with LLC/SNAP (OUI 0) in front of <paramref name="payload"/>.</summary>
    public static byte[] Ieee8023(ushort etherType, byte[] payload)
    {
        byte[] llc = LlcSnap(etherType);
        return Concat(Destination, Source, Be16(llc.Length + payload.Length), llc, payload);
    }

    public static byte[] LlcSnap(ushort etherType) => Concat([0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00], Be16(etherType));

    /// <summary>BSD loopback: the address family in the capturing host's order (little-endian here unless asked).</summary>
    public static byte[] Null(uint family, byte[] packet, bool bigEndianHost = false)
    {
        var header = new byte[4];
        if (bigEndianHost)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header, family);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header, family);
        }

        return Concat(header, packet);
    }

    public static byte[] Loop(uint family, byte[] packet) => Concat(Be32(family), packet);

    /// <summary>Linux cooked v1: packet type, ARPHRD_ETHER, address length, address (8), protocol.</summary>
    public static byte[] LinuxSll(ushort protocol, byte[] payload) => Concat(Be16(0), Be16(1), Be16(6), Source, [0, 0], Be16(protocol), payload);

    /// <summary>Linux cooked v2: protocol, reserved, interface index, ARPHRD_ETHER, packet type, address length, address (8).</summary>
    public static byte[] LinuxSll2(ushort protocol, byte[] payload) => Concat(Be16(protocol), Be16(0), Be32(3), Be16(1), [0, 6], Source, [0, 0], payload);

    /// <summary>
    /// A radiotap header with TSFT, Flags (with the data-padding flag when asked) and Rate, then the 802.11 frame.
    /// With <paramref name="extendedPresent"/> a second present word moves TSFT to its next 8-byte boundary.
    /// </summary>
    public static byte[] Radiotap(byte[] ieee80211, bool dataPadding = false, bool extendedPresent = false)
    {
        byte[] present = extendedPresent ? Concat([0x07, 0, 0, 0x80], [0, 0, 0, 0], [0, 0, 0, 0]) : [0x07, 0, 0, 0];
        byte[] header = Concat([0, 0], [0, 0], present, Pattern(8), [(byte)(dataPadding ? 0x20 : 0x00), 0x0C]);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), (ushort)header.Length);
        return Concat(header, ieee80211);
    }

    /// <summary>
    /// An 802.11 data frame: header (four addresses when <paramref name="wds"/>, QoS control for QoS data, HT control when
    /// <paramref name="order"/>), <paramref name="padding"/> zero bytes, then LLC/SNAP and the payload.
    /// </summary>
    public static byte[] Ieee80211Data(ushort etherType, byte[] payload, bool qos = false, bool wds = false, bool order = false, bool isProtected = false, int padding = 0)
    {
        byte control = (byte)(0x08 | (qos ? 0x80 : 0x00)); // type 2 (data), subtype 0 or 8 (QoS data)
        byte flags = (byte)((wds ? 0x03 : 0x01) | (isProtected ? 0x40 : 0) | (order ? 0x80 : 0));
        byte[] header = Concat(
            [control, flags],
            Be16(44),
            Destination,
            Source,
            Destination,
            Be16(0x1230),
            wds ? Source : [],
            qos ? [0x00, 0x00] : [],
            order && qos ? [0, 0, 0, 0] : []);
        return Concat(header, new byte[padding], LlcSnap(etherType), payload);
    }

    /// <summary>An 802.11 beacon: a management frame, never IP.</summary>
    public static byte[] Ieee80211Beacon() => Concat([0x80, 0x00], Be16(0), Destination, Source, Source, Be16(0), new byte[12]);
}
