using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace OneWaySensor.Packets;

/// <summary>
/// Big-endian field reads at an offset. Callers check the length first (a
/// short frame is a parse result, not an exception); these reads are still
/// bounds-checked by the span, so a missed check throws instead of reading
/// past the frame.
/// </summary>
internal static class NetworkOrder
{
    public static ushort Read16(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt16BigEndian(bytes.Slice(offset, 2));

    public static uint Read32(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(offset, 4));

    /// <summary>
    /// An address in <see cref="Flows.FlowAddress.FromBytes"/>'s form: its raw
    /// bytes (4 or 16) at the start of 16, the rest zero.
    /// </summary>
    public static UInt128 Address(ReadOnlySpan<byte> bytes)
    {
        UInt128 address = 0;
        bytes.CopyTo(MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref address, 1)));
        return address;
    }
}
