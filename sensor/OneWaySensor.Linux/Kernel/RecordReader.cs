using System.Runtime.InteropServices;

namespace OneWaySensor.Linux.Kernel;

/// <summary>
/// Reads records that start with an ows_record_header:
/// <code>
///  0      2        4      8             16
///  | kind | version | size | timestamp_ns | kind-specific body ... |
///  |&lt;------------------ size bytes ---------------------------&gt;|
/// </code>
/// Nothing is copied: the record is a slice of the caller's buffer.
/// </summary>
internal static class RecordReader
{
    private const int KindOffset = 0;
    private const int SizeOffset = 4;

    /// <summary>Largest record any kind may declare; a larger size is corruption.</summary>
    public const int MaxRecordSize = 4096;

    public enum Result
    {
        Ok,
        Incomplete, // fewer bytes than the header or its declared size
        Oversized,  // declared size over MaxRecordSize
        Malformed,  // declared size under the header
    }

    /// <summary>
    /// Reads the first record of <paramref name="buffer"/> and advances the
    /// buffer past it. On anything but <see cref="Result.Ok"/> the buffer is
    /// left where it was and <paramref name="record"/> is empty.
    /// </summary>
    public static Result TryRead(ref ReadOnlySpan<byte> buffer, out RecordHeader header, out ReadOnlySpan<byte> record)
    {
        record = default;
        header = default;
        if (buffer.Length < RecordHeader.ByteSize)
        {
            return Result.Incomplete;
        }

        header = MemoryMarshal.Read<RecordHeader>(buffer);
        if (header.Size > MaxRecordSize)
        {
            return Result.Oversized;
        }

        if (header.Size < RecordHeader.ByteSize)
        {
            return Result.Malformed;
        }

        if (header.Size > buffer.Length)
        {
            return Result.Incomplete;
        }

        record = buffer[..(int)header.Size];
        buffer = buffer[(int)header.Size..];
        return Result.Ok;
    }

    /// <summary>The kind of a record, read without the whole header (for logging).</summary>
    public static ushort PeekKind(ReadOnlySpan<byte> record) =>
        record.Length >= SizeOffset ? MemoryMarshal.Read<ushort>(record[KindOffset..]) : (ushort)0;
}
