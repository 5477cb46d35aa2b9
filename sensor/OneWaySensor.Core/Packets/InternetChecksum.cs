using System.Buffers.Binary;

namespace OneWaySensor.Packets;

/// <summary>
/// The Internet checksum (RFC 1071): the one's-complement sum of big-endian
/// 16-bit words. Data that includes its own correct checksum sums to 0xFFFF.
/// </summary>
internal static class InternetChecksum
{
    private const ushort AllOnes = 0xFFFF;

    public static bool IsValid(ReadOnlySpan<byte> data) => Fold(Sum(data, 0)) == AllOnes;

    /// <summary>
    /// A TCP, UDP or ICMPv6 checksum, whose sum starts with a pseudo-header:
    /// source and destination address, the protocol and the segment length
    /// (IPv4 and IPv6 lay them out differently, but the sums are the same).
    /// </summary>
    public static bool IsValidWithPseudoHeader(ReadOnlySpan<byte> addresses, byte protocol, int length, ReadOnlySpan<byte> segment)
    {
        ulong pseudoHeader = Sum(addresses, 0) + protocol + (uint)(length >> 16) + (uint)(length & 0xFFFF);
        return Fold(Sum(segment, pseudoHeader)) == AllOnes;
    }

    // 32-bit words sum to the same one's-complement result once folded (2^16 is 1 modulo 0xFFFF)
    private static ulong Sum(ReadOnlySpan<byte> data, ulong sum)
    {
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data.Slice(i, 4));
        }

        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i, 2));
            i += 2;
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8; // an odd last byte is padded with a zero
        }

        return sum;
    }

    private static ushort Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
