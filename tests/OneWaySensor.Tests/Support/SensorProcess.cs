using System.Collections.Concurrent;
using System.Diagnostics;

namespace OneWaySensor.Tests.Support;

/// <summary>The shipped `onewaysensor` binary running in the background, its output collected line by line.</summary>
internal sealed class SensorProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> stdout = new();
    private readonly ConcurrentQueue<string> stderr = new();

    private SensorProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, line) => Collect(stdout, line.Data);
        process.ErrorDataReceived += (_, line) => Collect(stderr, line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public IReadOnlyCollection<string> Stdout => stdout;

    public int Pid => process.Id;

    /// <summary>The control socket this sensor listens on, given by the test or chosen here.</summary>
    public string ControlSocket { get; private init; } = string.Empty;

    /// <summary>The sensor's resident memory now, from /proc.</summary>
    public long ResidentBytes()
    {
        string line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>A control socket path of the test's own.</summary>
    private bool OwnsControlSocket { get; init; }

    public static string ControlSocketFor(Guid id) => Path.Combine(Path.GetTempPath(), $"ows-control-{id:N}.sock");

    public string Stderr => string.Join('\n', stderr);

    public static SensorProcess Start(params string[] arguments) => StartUnder([], arguments);

    /// <summary>
    /// Starts the sensor through <paramref name="wrapper"/>, a command that
    /// execs it (setpriv, say), so the sensor keeps the wrapper's process id.
    /// </summary>
    public static SensorProcess StartUnder(string[] wrapper, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(wrapper);
        var start = new ProcessStartInfo(wrapper.Length > 0 ? wrapper[0] : RepoPaths.SensorBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (wrapper.Length > 0)
        {
            foreach (string part in wrapper.Skip(1))
            {
                start.ArgumentList.Add(part);
            }

            start.ArgumentList.Add(RepoPaths.SensorBinary);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        string controlSocket = string.Empty;
        string? given = null;
        if (arguments.Length > 0 && arguments[0] == "run")
        {
            // tests keep alerts and baselines in memory: the host's state file under /var/lib is not theirs to write
            start.ArgumentList.Add("--set");
            start.ArgumentList.Add("Sensor:StatePath=");

            // a flow map of its own: a pinned one would carry another test's flows into this one
            if (!arguments.Any(argument => argument.StartsWith("Sensor:FlowPinDirectory=", StringComparison.Ordinal)))
            {
                start.ArgumentList.Add("--set");
                start.ArgumentList.Add("Sensor:FlowPinDirectory=");
            }

            // each sensor its own control socket, so tests may run two at once
            given = arguments.FirstOrDefault(argument => argument.StartsWith("Sensor:ControlSocket=", StringComparison.Ordinal));
            if (given is not null)
            {
                controlSocket = given["Sensor:ControlSocket=".Length..];
            }
            else
            {
                start.ArgumentList.Add("--set");
                controlSocket = ControlSocketFor(Guid.NewGuid());
                start.ArgumentList.Add($"Sensor:ControlSocket={controlSocket}");
            }
        }

        return new SensorProcess(Process.Start(start)!) { ControlSocket = controlSocket, OwnsControlSocket = given is null };
    }

    /// <summary>Waits for a stderr line containing <paramref name="text"/>; fails with the stderr seen so far.</summary>
    public void WaitForLog(string text, TimeSpan timeout) =>
        WaitUntil(() => stderr.Any(line => line.Contains(text, StringComparison.Ordinal)), timeout, $"no log line with '{text}'");

    public void WaitUntil(Func<bool> condition, TimeSpan timeout, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (process.HasExited && !condition())
            {
                Assert.Fail($"the sensor exited ({process.ExitCode}) before: {what}\n{Stderr}");
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out: {what}\n{Stderr}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Sends SIGTERM (or another signal) and returns the exit code.</summary>
    public int Terminate(TimeSpan timeout, int signal = Signals.Terminate)
    {
        Signals.Send(process.Id, signal);
        Assert.True(process.WaitForExit(timeout), $"the sensor did not stop after signal {signal}\n{Stderr}");
        process.WaitForExit(); // drains the output readers
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();

            // a killed sensor leaves its socket file; one chosen here is this class's to remove
            if (OwnsControlSocket)
            {
                File.Delete(ControlSocket);
            }
        }

        process.Dispose();
    }

    private static void Collect(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
        }
    }
}
