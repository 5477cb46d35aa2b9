using Microsoft.Win32.SafeHandles;

namespace OneWaySensor.Cli.Output;

/// <summary>
/// A JSON-lines file rotated by size: when the next line would take it past
/// <paramref name="maxBytes"/>, FILE becomes FILE.1, FILE.1 becomes FILE.2
/// and so on, FILE.<paramref name="keep"/> is deleted, and a new FILE is
/// begun. Lines are never split across files. A write that fails (a full
/// disk) is counted, the part of the line that made it to the file is cut
/// off again, so a reader never meets half a line, and the next record tries
/// again. Nothing is buffered here: each line is one positioned write.
/// </summary>
internal sealed class RotatingJsonLinesFile : IRecordSink
{
    private readonly string path;
    private readonly long maxBytes;
    private readonly int keep;
    private readonly Func<RecordKind, bool> takes;
    private SafeFileHandle? file;
    private long length;
    private long lost;
    private volatile string? lastError;

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

    public string? LastError => lastError;

    /// <summary>Rotations done so far.</summary>
    public long Rotations { get; private set; }

    /// <summary>Opens (or creates) the file for appending; throws an IOException naming it when it cannot.</summary>
    public static RotatingJsonLinesFile Open(string name, string path, long maxBytes, int keep, Func<RecordKind, bool> takes)
    {
        var sink = new RotatingJsonLinesFile(name, path, maxBytes, keep, takes);
        try
        {
            sink.OpenFile();
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
            if (file is null)
            {
                OpenFile();
            }

            if (length > 0 && length + jsonLine.Length > maxBytes)
            {
                Rotate();
            }

            RandomAccess.Write(file!, jsonLine, length);
            length += jsonLine.Length;
            lastError = null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            lastError = error.Message;
            Interlocked.Increment(ref lost);
            CutPartialLine();
            file?.Dispose();
            file = null; // reopened by the next record, which finds the disk as it is then
        }
    }

    public void Dispose() => file?.Dispose();

    private void OpenFile()
    {
        file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        length = RandomAccess.GetLength(file);
    }

    /// <summary>A failed write may have put part of its line in the file: back to where the line began (truncating always fits).</summary>
    private void CutPartialLine()
    {
        try
        {
            if (file is not null && RandomAccess.GetLength(file) > length)
            {
                RandomAccess.SetLength(file, length);
            }
        }
        catch (IOException)
        {
            // the file went away under us; the reopen starts from what is there
        }
    }

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
        OpenFile();
    }
}
