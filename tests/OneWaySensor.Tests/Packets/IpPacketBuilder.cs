using System.Buffers.Binary;
using static OneWaySensor.Tests.Packets.Bytes;

namespace OneWaySensor.Tests.Packets;

/// <summary>
/// IP packets for the parser tests, with lengths and checksums filled in as a
/// real stack would. Transport builders return the segment without its
/// checksum; the IP builders compute it (they know the pseudo-header).
/// </summary>
internal static class IpPacketBuilder
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte IcmpV6 = 58;

    public static byte[] TcpSegment(ushort sourcePort, ushort destinationPort, uint sequence, uint acknowledgment, byte flags, byte[] payload, int optionsLength = 0) => Concat(
        Be16(sourcePort),
        Be16(destinationPort),
        Be32(sequence),
        Be32(acknowledgment),
        [(byte)(((20 + optionsLength) / 4) << 4), flags],
        Be16(64240),
        Be16(0), // checksum, filled in by the IP builder
        Be16(0),
        [.. Enumerable.Repeat((byte)1, optionsLength)], // NOP options
        payload);

    public static byte[] UdpDatagram(ushort sourcePort, ushort destinationPort, byte[] payload) =>
        Concat(Be16(sourcePort), Be16(destinationPort), Be16(8 + payload.Length), Be16(0), payload);

    public static byte[] IcmpMessage(byte type, byte code, byte[] payload) =>
        Concat([type, code], Be16(0), Be32(0x1234_0001), payload);

    /// <summary>An IPv4 packet; a whole (unfragmented) transport segment gets its checksum.</summary>
    public static byte[] Ipv4(byte protocol, string source, string destination, byte[] payload, ushort id = 0x4242, bool moreFragments = false, int fragmentOffset = 0, int optionsLength = 0)
    {
        int headerLength = 20 + optionsLength;
        byte[] sourceBytes = Ip(source);
        byte[] destinationBytes = Ip(destination);
        byte[] transport = [.. payload];
        if (!moreFragments && fragmentOffset == 0)
        {
            FillTransportChecksum(protocol, transport, protocol == Icmp ? [] : Concat(sourceBytes, destinationBytes, [0, protocol], Be16(transport.Length)));
        }

        byte[] header = Concat(
            [(byte)(0x40 | (headerLength / 4)), 0],
            Be16(headerLength + transport.Length),
            Be16(id),
            Be16((moreFragments ? 0x2000 : 0) | (fragmentOffset / 8)),
            [64, protocol],
            Be16(0),
            sourceBytes,
            destinationBytes,
            [.. Enumerable.Repeat((byte)1, optionsLength)]);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), InternetChecksum(header));
        return Concat(header, transport);
    }

    /// <summary>An IPv6 packet with extension headers between it and the transport; checksums as <see cref="Ipv4"/>.</summary>
    public static byte[] Ipv6(byte protocol, string source, string destination, byte[] payload, params Ipv6Extension[] extensions)
    {
        byte[] sourceBytes = Ip(source);
        byte[] destinationBytes = Ip(destination);
        byte[] transport = [.. payload];
        bool fragmented = extensions.Any(extension => extension.IsFragmented);
        if (!fragmented)
        {
            FillTransportChecksum(protocol, transport, Concat(sourceBytes, destinationBytes, Be32((uint)transport.Length), [0, 0, 0, protocol]));
        }

        // each extension names the header after it; the fixed header names the first
        byte first = extensions.Length > 0 ? extensions[0].Type : protocol;
        byte[] chain = Concat([.. extensions.Select((extension, i) => extension.WithNext(i + 1 < extensions.Length ? extensions[i + 1].Type : protocol))]);
        return Concat([0x60, 0, 0, 0], Be16(chain.Length + transport.Length), [first, 64], sourceBytes, destinationBytes, chain, transport);
    }

    private static void FillTransportChecksum(byte protocol, byte[] transport, byte[] pseudoHeader)
    {
        int offset = protocol switch
        {
            Tcp => 16,
            Udp => 6,
            Icmp or IcmpV6 => 2,
            _ => -1,
        };
        if (offset < 0 || transport.Length < offset + 2)
        {
            return;
        }

        ushort checksum = InternetChecksum(pseudoHeader, transport);
        if (protocol == Udp && checksum == 0)
        {
            checksum = 0xFFFF; // 0 means "no checksum" in UDP
        }

        BinaryPrimitives.WriteUInt16BigEndian(transport.AsSpan(offset), checksum);
    }
}

/// <summary>One IPv6 extension header; its next-header byte is filled in when the chain is built.</summary>
internal sealed record Ipv6Extension(byte Type, byte[] Body)
{
    /// <summary>A fragment header with an offset or more fragments to come (an atomic fragment is a whole packet).</summary>
    public bool IsFragmented => Type == 44 && (Body[2] != 0 || Body[3] != 0);

    /// <summary>Hop-by-hop options, padded with PadN to <paramref name="length"/> bytes (a multiple of 8).</summary>
    public static Ipv6Extension HopByHop(int length = 8) => new(0, Options(length));

    public static Ipv6Extension DestinationOptions(int length = 8) => new(60, Options(length));

    /// <summary>A type 2 routing header (one address).</summary>
    public static Ipv6Extension Routing(int segmentsLeft, string address) => new(43, Concat([0, 2, 2, (byte)segmentsLeft], [0, 0, 0, 0], Ip(address)));

    public static Ipv6Extension Fragment(int offset, bool more, uint id) => new(44, Concat([0, 0], Be16(offset | (more ? 1 : 0)), Be32(id)));

    /// <summary>An authentication header with a 12-byte ICV (24 bytes: length field 4).</summary>
    public static Ipv6Extension Authentication() => new(51, Concat([0, 4, 0, 0], Be32(0x100), Be32(1), Pattern(12)));

    public byte[] WithNext(byte next)
    {
        byte[] bytes = [.. Body];
        bytes[0] = next;
        return bytes;
    }

    private static byte[] Options(int length) => Concat([0, (byte)((length / 8) - 1), 1, (byte)(length - 4)], new byte[length - 4]);
}
