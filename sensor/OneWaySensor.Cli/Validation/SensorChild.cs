using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace OneWaySensor.Cli.Validation;

/// <summary>
/// `onewaysensor run` as a child process, its JSON lines collected: validate
/// checks the very binary and output an operator runs, not a copy of them.
/// </summary>
internal sealed partial class SensorChild : IDisposable
{
    private const int SigTerm = 15;

    private readonly Process process;
    private readonly ConcurrentQueue<JsonElement> records = new();
    private readonly ConcurrentQueue<string> logs = new();

    private SensorChild(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, line) => Parse(line.Data);
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                logs.Enqueue(line.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public IEnumerable<JsonElement> Records => records;

    public string LastLog => logs.LastOrDefault() ?? "(nothing on stderr)";

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static SensorChild Start(IEnumerable<string> arguments)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the onewaysensor binary");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("run");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new SensorChild(Process.Start(start) ?? throw new InvalidOperationException("cannot start the sensor"));
    }

    /// <summary>Waits for `sensor ready`; false when the sensor exited or did not get there in time.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            if (logs.Any(line => line.Contains("sensor ready", StringComparison.Ordinal)))
            {
                return true;
            }

            await Task.Delay(100, cancellation);
        }

        return false;
    }

    /// <summary>SIGTERM, then waits for a clean stop; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!process.HasExited && Kill(process.Id, SigTerm) == 0)
        {
            using var limit = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
            }
        }

        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
        }

        process.Dispose();
    }

    private void Parse(string? line)
    {
        if (string.IsNullOrEmpty(line))
        {
            return;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            records.Enqueue(document.RootElement.Clone());
        }
        catch (JsonException)
        {
            logs.Enqueue($"not a JSON line on stdout: {line}");
        }
    }
}
