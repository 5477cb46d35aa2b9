using System.Buffers;
using OneWaySensor.Alerts;

namespace OneWaySensor.Cli.Output;

/// <summary>
/// Writes each alert as one JSON line to stdout and, when asked, appends it
/// to a file. Each line is flushed at once: an alert is never left in a buffer.
/// </summary>
internal sealed class AlertOutput : IAlertSink, IDisposable
{
    private readonly Stream stdout = Console.OpenStandardOutput();
    private readonly FileStream? file;
    private readonly ArrayBufferWriter<byte> line = new(2048);
    private readonly Lock writeLock = new();

    private AlertOutput(FileStream? file)
    {
        this.file = file;
    }

    /// <summary>Opens the alerts file for appending (created if absent); throws IOException naming it when it cannot.</summary>
    public static AlertOutput Open(string? alertsFile)
    {
        if (alertsFile is null)
        {
            return new AlertOutput(null);
        }

        try
        {
            return new AlertOutput(new FileStream(alertsFile, FileMode.Append, FileAccess.Write, FileShare.Read));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot open the alerts file {alertsFile}: {error.Message}", error);
        }
    }

    public void Emit(Alert alert)
    {
        lock (writeLock)
        {
            line.ResetWrittenCount();
            AlertJsonWriter.Write(alert, line);
            line.Write("\n"u8);
            stdout.Write(line.WrittenSpan);
            stdout.Flush();
            if (file is not null)
            {
                file.Write(line.WrittenSpan);
                file.Flush();
            }
        }
    }

    public void Flush()
    {
        lock (writeLock)
        {
            stdout.Flush();
            file?.Flush();
        }
    }

    public void Dispose()
    {
        file?.Dispose();
        stdout.Dispose();
    }
}
