namespace OneWaySensor.Cli.Output;

/// <summary>
/// A JSON-lines file rotated by size: when the next line would take it past
/// <paramref name="maxBytes"/>, FILE becomes FILE.1, FILE.1 becomes FILE.2
/// and so on, FILE.<paramref name="keep"/> is deleted, and a new FILE is
/// begun. Lines are never split across files. A write that fails (a full
/// disk) is counted, and the next record tries again.
/// </summary>
internal sealed class RotatingJsonLinesFile : IRecordSink
{
    private readonly string path;
    private readonly long maxBytes;
    private readonly int keep;
    private readonly Func<RecordKind, bool> takes;
    private FileStream? file;
    private long lost;

    private RotatingJsonLinesFile(string name, string path, long maxBytes, int keep, Func<RecordKind, bool> takes)
    {
        Name = name;
        this.path = path;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.takes = takes;
    }

    public string Name { get; }

    public long Lost => Interlocked.Read(ref lost);

    /// <summary>Rotations done so far.</summary>
    public long Rotations { get; private set; }

    /// <summary>Opens (or creates) the file for appending; throws an IOException naming it when it cannot.</summary>
    public static RotatingJsonLinesFile Open(string name, string path, long maxBytes, int keep, Func<RecordKind, bool> takes)
    {
        var sink = new RotatingJsonLinesFile(name, path, maxBytes, keep, takes);
        try
        {
            sink.file = sink.OpenFile();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot open the {name.Replace('_', ' ')} {path}: {error.Message}", error);
        }

        return sink;
    }

    public void Write(RecordKind kind, ReadOnlySpan<byte> jsonLine, object record)
    {
        if (!takes(kind))
        {
            return;
        }

        try
        {
            file ??= OpenFile();
            if (file.Length > 0 && file.Length + jsonLine.Length > maxBytes)
            {
                Rotate();
            }

            file.Write(jsonLine);
            file.Flush();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref lost);
            file?.Dispose();
            file = null; // reopened by the next record, which finds the disk as it is then
        }
    }

    public void Dispose() => file?.Dispose();

    private FileStream OpenFile() => new(path, FileMode.Append, FileAccess.Write, FileShare.Read);

    private void Rotate()
    {
        file!.Dispose();
        file = null;
        File.Delete($"{path}.{keep}");
        for (int generation = keep - 1; generation >= 1; generation--)
        {
            if (File.Exists($"{path}.{generation}"))
            {
                File.Move($"{path}.{generation}", $"{path}.{generation + 1}");
            }
        }

        File.Move(path, $"{path}.1");
        Rotations++;
        file = OpenFile();
    }
}
