using System.Buffers.Binary;
using System.Net;

namespace OneWaySensor.Tests.Packets;

/// <summary>Small byte helpers the packet builders share.</summary>
internal static class Bytes
{
    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(part => part)];

    public static byte[] Be16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    public static byte[] Be32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] Ip(string address) => IPAddress.Parse(address).GetAddressBytes();

    /// <summary>Recognisable payload bytes: 0, 1, 2, ... wrapping at 256.</summary>
    public static byte[] Pattern(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)i)];

    /// <summary>The Internet checksum, written the plain way (16-bit words, one's complement): the parser's own is not reused.</summary>
    public static ushort InternetChecksum(params byte[][] parts)
    {
        byte[] data = Concat(parts);
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            int high = data[i];
            int low = i + 1 < data.Length ? data[i + 1] : 0;
            sum += (uint)((high << 8) | low);
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
