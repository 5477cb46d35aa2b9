using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace OneWaySensor.Tests.Support;

/// <summary>
/// tcpdump on lo, filtered to one port, for the packets that were really on
/// the wire: TCP may coalesce writes, so the test counts what the capture saw.
/// tcpdump's default buffer drops packets on lo here even at low rates, so
/// the buffer is large and a capture that dropped anything fails the test.
/// </summary>
internal sealed class LoopbackCapture : IDisposable
{
    private readonly Process tcpdump;
    private readonly string file;

    private LoopbackCapture(Process tcpdump, string file)
    {
        this.tcpdump = tcpdump;
        this.file = file;
    }

    public static LoopbackCapture Start(int port)
    {
        string file = Path.Combine(Path.GetTempPath(), $"ows-capture-{Guid.NewGuid():N}.pcap");
        var start = new ProcessStartInfo("tcpdump")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "-i", "lo", "-n", "--immediate-mode", "-B", "65536", "-w", file, "port", port.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        Process tcpdump = Process.Start(start)!;

        // tcpdump says "listening on lo" once the capture is live
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? line;
        while ((line = tcpdump.StandardError.ReadLine()) is not null && !line.Contains("listening on", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "tcpdump did not start");
        }

        Assert.NotNull(line);
        return new LoopbackCapture(tcpdump, file);
    }

    /// <summary>Stops the capture and counts the packets matching a tcpdump filter expression.</summary>
    public int StopAndCount(string filter)
    {
        Stop();
        Assert.True(droppedByKernel == 0, $"tcpdump dropped {droppedByKernel} packets: the capture cannot be the reference");
        ProcessResult read = ProcessRunner.Run("tcpdump", ["-n", "-r", file, .. filter.Split(' ')]);
        Assert.Equal(0, read.ExitCode);
        return read.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    private int droppedByKernel = -1;

    private void Stop()
    {
        if (droppedByKernel < 0)
        {
            Thread.Sleep(200); // let the last packets reach the capture buffer
            Signals.Send(tcpdump.Id, Signals.Interrupt);
            if (!tcpdump.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                tcpdump.Kill();
            }

            // its last words: "N packets dropped by kernel"
            string summary = tcpdump.StandardError.ReadToEnd();
            Match dropped = Regex.Match(summary, @"(\d+) packets? dropped by kernel");
            droppedByKernel = dropped.Success ? int.Parse(dropped.Groups[1].Value, CultureInfo.InvariantCulture) : int.MaxValue;
        }
    }

    public void Dispose()
    {
        Stop();
        tcpdump.Dispose();
        File.Delete(file);
    }
}
