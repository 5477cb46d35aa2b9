namespace OneWaySensor.Containers.Engine;

/// <summary>
/// Splits a byte stream into lines of at most a maximum length, holding no
/// more than that in memory. The event stream is newline-delimited JSON
/// (Docker and Podman both write each message with Go's json.Encoder, which
/// ends it with '\n' and escapes any newline inside a string), so a line is
/// a message, and a junk or oversized line costs only itself:
/// <code>
/// | consumed | start .. line .. '\n' | start' .. partial line | end | free |
/// </code>
/// A line longer than the maximum is dropped up to its newline and reported
/// through the callback, and reading goes on after it.
/// </summary>
internal sealed class LineFramer
{
    private const int InitialSize = 16 * 1024;

    private readonly Stream stream;
    private readonly int maxLineBytes;
    private readonly Action onOversized;
    private byte[] buffer = new byte[InitialSize];
    private int start;
    private int end;
    private int scanned;
    private bool discarding;
    private bool ended;

    public LineFramer(Stream stream, int maxLineBytes, Action onOversized)
    {
        this.stream = stream;
        this.maxLineBytes = maxLineBytes;
        this.onOversized = onOversized;
    }

    /// <summary>
    /// The next non-blank line without its '\n' (or "\r\n"), or null at the end
    /// of the stream. The memory is reused: it is valid only until the next call.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (!ended)
        {
            if (TryTakeLine(out ReadOnlyMemory<byte> line))
            {
                if (!IsBlank(line.Span))
                {
                    return line;
                }

                continue;
            }

            MakeRoom();
            int read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                ended = true;
                return TakeLast();
            }

            end += read;
        }

        return null;
    }

    private bool TryTakeLine(out ReadOnlyMemory<byte> line)
    {
        int newline = buffer.AsSpan(scanned, end - scanned).IndexOf((byte)'\n');
        if (newline < 0)
        {
            scanned = end;
            if (!discarding && end - start > maxLineBytes)
            {
                discarding = true; // too long already: drop it up to its newline
            }

            if (discarding)
            {
                start = end = scanned = 0;
            }

            line = default;
            return false;
        }

        int lineEnd = scanned + newline;
        int lineStart = start;
        start = scanned = lineEnd + 1;
        if (discarding || lineEnd - lineStart > maxLineBytes)
        {
            discarding = false;
            onOversized();
            line = ReadOnlyMemory<byte>.Empty;
            return true;
        }

        if (lineEnd > lineStart && buffer[lineEnd - 1] == (byte)'\r')
        {
            lineEnd--;
        }

        line = buffer.AsMemory(lineStart, lineEnd - lineStart);
        return true;
    }

    private ReadOnlyMemory<byte>? TakeLast()
    {
        // the last message may lack its newline
        if (discarding)
        {
            discarding = false;
            onOversized();
        }
        else if (end > start && !IsBlank(buffer.AsSpan(start, end - start)))
        {
            var line = buffer.AsMemory(start, end - start);
            start = end = scanned = 0;
            return line;
        }

        start = end = scanned = 0;
        return null;
    }

    private void MakeRoom()
    {
        if (start > 0)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            end -= start;
            scanned -= start;
            start = 0;
        }

        if (end == buffer.Length)
        {
            // grow to one byte over the limit, so an oversized line is seen as one
            int size = (int)Math.Min((long)buffer.Length * 2, maxLineBytes + 1L);
            if (size <= buffer.Length)
            {
                size = buffer.Length + InitialSize;
            }

            Array.Resize(ref buffer, size);
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r"u8) < 0;
}
