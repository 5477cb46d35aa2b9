using System.Diagnostics;
using System.Text.Json.Nodes;

namespace OneWaySensor.Tests.Support;

/// <summary>
/// tests/tools/msgpack-read.py on the export socket: an independent decoder
/// (python3-msgpack) that prints each record as a JSON line until the sensor
/// closes the stream. Its output is drained from the start, so it never
/// stalls on its own stdout.
/// </summary>
internal sealed class ExportReader : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process process;
    private readonly Task<string> output;
    private readonly Task<string> errors;

    private ExportReader(Process process)
    {
        this.process = process;
        output = process.StandardOutput.ReadToEndAsync();
        errors = process.StandardError.ReadToEndAsync();
    }

    public static void Require() =>
        Requirements.Require(ProcessRunner.Run(Python, ["-c", "import msgpack"]).ExitCode == 0, "python3-msgpack is not installed (tests/tools/test-services.sh installs it)");

    /// <summary>Connects; returns once the reader says it is connected.</summary>
    public static ExportReader Connect(string socketPath)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RepoPaths.TestTool("msgpack-read.py"));
        start.ArgumentList.Add(socketPath);
        Process process = Process.Start(start)!;
        Assert.Equal("connected", process.StandardError.ReadLine());
        return new ExportReader(process);
    }

    /// <summary>Waits for the stream to end; every record decoded, in order.</summary>
    public List<JsonNode> Records(TimeSpan timeout)
    {
        Assert.True(process.WaitForExit(timeout), "the export reader saw the stream end");
        Assert.True(process.ExitCode == 0, $"the independent decoder failed ({process.ExitCode}): {errors.Result}");
        return [.. output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!)];
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
    }
}
