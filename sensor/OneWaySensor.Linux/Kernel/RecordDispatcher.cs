using System.Runtime.InteropServices;

namespace OneWaySensor.Linux.Kernel;

/// <summary>Handles one record; the span is valid only during the call: copy what you keep.</summary>
internal delegate void RecordHandler(ReadOnlySpan<byte> record);

/// <summary>What the dispatcher saw, for the health output. Nothing is skipped without a count.</summary>
internal struct DispatchCounters
{
    public ulong Dispatched;
    public ulong UnknownKind;
    public ulong ShortRecord;
    public ulong Oversized;
    public ulong Malformed;
    public ulong BadVersion;
    public ulong HandlerFailed;

    public readonly ulong Skipped => UnknownKind + ShortRecord + Oversized + Malformed + BadVersion + HandlerFailed;
}

/// <summary>
/// Sends each kernel record to the handler registered for its kind, through
/// a table indexed by kind. A record that is short, too large, of an unknown
/// kind or version, or whose handler throws, is counted and skipped.
/// </summary>
internal sealed class RecordDispatcher
{
    private const int MaxKind = 64;
    private readonly RecordHandler?[] handlers = new RecordHandler?[MaxKind];
    private readonly int[] minimumSizes = new int[MaxKind];
    private DispatchCounters counters;

    public DispatchCounters Counters => counters;

    /// <summary>Exceptions thrown by handlers, for one log line each; the first only is kept.</summary>
    public Exception? FirstHandlerFailure { get; private set; }

    public void Register(RecordKind kind, int minimumSize, RecordHandler handler)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((int)kind, MaxKind);
        handlers[(int)kind] = handler;
        minimumSizes[(int)kind] = minimumSize;
    }

    /// <summary>Dispatches one record framed by the transport (one ring buffer sample).</summary>
    public void Dispatch(ReadOnlySpan<byte> sample)
    {
        ReadOnlySpan<byte> buffer = sample;
        RecordReader.Result result = RecordReader.TryRead(ref buffer, out RecordHeader header, out ReadOnlySpan<byte> record);
        if (result != RecordReader.Result.Ok)
        {
            Count(result);
            return;
        }

        Handle(header, record);
    }

    /// <summary>Dispatches every record of a buffer of back-to-back records; returns how many were read.</summary>
    public int DispatchAll(ReadOnlySpan<byte> buffer)
    {
        int read = 0;
        while (!buffer.IsEmpty)
        {
            RecordReader.Result result = RecordReader.TryRead(ref buffer, out RecordHeader header, out ReadOnlySpan<byte> record);
            if (result != RecordReader.Result.Ok)
            {
                // the rest cannot be framed: count it once and stop
                Count(result);
                break;
            }

            Handle(header, record);
            read++;
        }

        return read;
    }

    private void Handle(in RecordHeader header, ReadOnlySpan<byte> record)
    {
        RecordHandler? handler = header.Kind < MaxKind ? handlers[header.Kind] : null;
        if (handler is null)
        {
            counters.UnknownKind++;
            return;
        }

        if (header.Version != RecordHeader.CurrentVersion)
        {
            counters.BadVersion++;
            return;
        }

        if (record.Length < minimumSizes[header.Kind])
        {
            counters.ShortRecord++;
            return;
        }

        try
        {
            handler(record);
            counters.Dispatched++;
        }
#pragma warning disable CA1031 // a failing handler must not stop the reader; it is counted and its first failure kept
        catch (Exception failure)
#pragma warning restore CA1031
        {
            counters.HandlerFailed++;
            FirstHandlerFailure ??= failure;
        }
    }

    private void Count(RecordReader.Result result)
    {
        switch (result)
        {
            case RecordReader.Result.Incomplete: counters.ShortRecord++; break;
            case RecordReader.Result.Oversized: counters.Oversized++; break;
            case RecordReader.Result.Malformed: counters.Malformed++; break;
        }
    }

    /// <summary>Reads a record's fixed-size body: the caller has checked the size.</summary>
    public static T ReadBody<T>(ReadOnlySpan<byte> record)
        where T : unmanaged => MemoryMarshal.Read<T>(record);

    /// <summary>
    /// A record's fixed-size body where it lies, without a copy: the caller
    /// has checked the size, and the view is valid only during the handler
    /// call, like the span.
    /// </summary>
    public static ref readonly T View<T>(ReadOnlySpan<byte> record)
        where T : unmanaged => ref MemoryMarshal.AsRef<T>(record);
}
