using System.Buffers.Binary;

namespace OneWaySensor.Tests.Support;

/// <summary>Writes classic pcap files (little-endian, microsecond timestamps) of frames a test builds.</summary>
internal sealed class PcapFileWriter : IDisposable
{
    private readonly FileStream file;

    public PcapFileWriter(string path, int linkType, int snapLength = 65535)
    {
        file = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        file.Write(header);
    }

    /// <summary>One record: <paramref name="frame"/> at <paramref name="time"/>, claiming <paramref name="wireLength"/> on the wire (default: its length).</summary>
    public void Write(DateTimeOffset time, ReadOnlySpan<byte> frame, int? wireLength = null)
    {
        Span<byte> header = stackalloc byte[16];
        long microseconds = time.ToUnixTimeMilliseconds() * 1000 + (time.Ticks % TimeSpan.TicksPerMillisecond / 10);
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(microseconds / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(microseconds % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)(wireLength ?? frame.Length));
        file.Write(header);
        file.Write(frame);
    }

    public void Dispose() => file.Dispose();
}

/// <summary>Ethernet + IPv4 + UDP frames with correct lengths (checksums left zero: "none" for UDP over IPv4).</summary>
internal static class TestFrames
{
    public static byte[] Udp4(string source, ushort sourcePort, string destination, ushort destinationPort, int payload)
    {
        byte[] frame = new byte[14 + 20 + 8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        Span<byte> ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payload));
        ip[8] = 64;
        ip[9] = 17;
        System.Net.IPAddress.Parse(source).TryWriteBytes(ip[12..], out _);
        System.Net.IPAddress.Parse(destination).TryWriteBytes(ip[16..], out _);
        ushort checksum = IpChecksum(ip[..20]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], checksum);
        Span<byte> udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload));
        return frame;
    }

    private static ushort IpChecksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }

        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
