namespace OneWaySensor.Cli.Output;

/// <summary>
/// Standard output: JSON lines for whatever reads it, or one readable line
/// per record when a person watches it in a terminal. Each record is flushed
/// at once, so a pipe sees it as it happens.
/// </summary>
internal sealed class StdoutSink(Stream stdout, bool readable) : IRecordSink
{
    private long lost;
    private volatile string? lastError;

    public string Name => "stdout";

    public long Lost => Interlocked.Read(ref lost);

    public string? LastError => lastError;

    public static StdoutSink Open() => new(Console.OpenStandardOutput(), readable: !Console.IsOutputRedirected);

    public void Write(RecordKind kind, ReadOnlySpan<byte> jsonLine, object record)
    {
        try
        {
            if (readable)
            {
                stdout.Write(System.Text.Encoding.UTF8.GetBytes(ReadableLine.Format(jsonLine) + "\n"));
            }
            else
            {
                stdout.Write(jsonLine);
            }

            stdout.Flush();
            lastError = null;
        }
        catch (IOException error)
        {
            lastError = error.Message;
            Interlocked.Increment(ref lost); // a closed pipe: the other sinks go on
        }
    }

    public void Dispose() => stdout.Dispose();
}
