using System.Buffers.Binary;

namespace OneWaySensor.Tests.Pcap;

/// <summary>A packet's record (pcap) or block (pcapng) in a capture file: where it starts, its whole length, and its header's.</summary>
internal readonly record struct Block(int Start, int Length, int HeaderLength);

/// <summary>
/// Where things are in a little-endian pcap or pcapng file, so a test can
/// damage exactly one field:
/// <code>
/// pcap:   | header 24: magic .. snaplen@16 linktype@20 | record: ts 8, incl_len@8, orig_len@12 | data | ...
/// pcapng: | block: type 4, total length@4 | body | total length again | ...
///           SHB 0x0A0D0D0A: section length@16; IDB 1: linktype@8; EPB 6: captured@20, original@24; SPB 3: original@8
/// </code>
/// </summary>
internal static class CaptureLayout
{
    private const uint PcapngSectionHeader = 0x0A0D0D0A;
    private const uint InterfaceDescription = 1;
    private const uint SimplePacket = 3;
    private const uint EnhancedPacket = 6;
    private const int PcapHeaderLength = 24;
    private const int PcapRecordHeaderLength = 16;

    public static bool IsPcapng(ReadOnlySpan<byte> file) => BinaryPrimitives.ReadUInt32LittleEndian(file) == PcapngSectionHeader;

    /// <summary>Every packet's record or block, in file order.</summary>
    public static IReadOnlyList<Block> Packets(byte[] file)
    {
        var packets = new List<Block>();
        if (!IsPcapng(file))
        {
            for (int at = PcapHeaderLength; at < file.Length;)
            {
                int length = PcapRecordHeaderLength + (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8));
                packets.Add(new Block(at, length, PcapRecordHeaderLength));
                at += length;
            }

            return packets;
        }

        foreach ((int at, uint type, int length) in PcapngBlocks(file))
        {
            if (type is EnhancedPacket or SimplePacket)
            {
                packets.Add(new Block(at, length, type == EnhancedPacket ? 28 : 12));
            }
        }

        return packets;
    }

    /// <summary>The offsets of a packet's length fields: its record's two lengths, or its block's lengths and captured length.</summary>
    public static IReadOnlyList<int> LengthFields(byte[] file, Block packet)
    {
        if (!IsPcapng(file))
        {
            return [packet.Start + 8, packet.Start + 12];
        }

        uint type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(packet.Start));
        return type == EnhancedPacket
            ? [packet.Start + 4, packet.Start + packet.Length - 4, packet.Start + 20, packet.Start + 24]
            : [packet.Start + 4, packet.Start + packet.Length - 4, packet.Start + 8];
    }

    /// <summary>The offsets of the file header's length fields: pcap's snap length; pcapng's first blocks' lengths and the section length.</summary>
    public static IReadOnlyList<int> HeaderLengthFields(byte[] file)
    {
        if (!IsPcapng(file))
        {
            return [16];
        }

        int sectionLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(4));
        return [4, sectionLength - 4, 16, 20, sectionLength + 4];
    }

    /// <summary>The offsets of the link type fields: pcap's header, or every interface description block's.</summary>
    public static IReadOnlyList<int> LinkTypeFields(byte[] file) => IsPcapng(file)
        ? [.. PcapngBlocks(file).Where(block => block.Type == InterfaceDescription).Select(block => block.Start + 8)]
        : [20];

    private static IEnumerable<(int Start, uint Type, int Length)> PcapngBlocks(byte[] file)
    {
        for (int at = 0; at < file.Length;)
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at));
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 4));
            yield return (at, type, length);
            at += length;
        }
    }
}
