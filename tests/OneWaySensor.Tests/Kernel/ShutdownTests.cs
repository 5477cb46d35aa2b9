using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using OneWaySensor.Configuration;
using OneWaySensor.Flows;
using OneWaySensor.Linux;
using OneWaySensor.Linux.Isolation;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// How the sensor ends. SIGTERM in the middle of a burst: every record
/// already counted reaches every sink (stdout, the output and alerts files,
/// the export), the sensor's own programs and links are gone, exit 0.
/// SIGKILL: the kernel drops the links and programs with the process; what
/// is left is the socket files and the deny set's pins, and the next sensor
/// on the same paths starts over them and carries on. A poll that outlasts
/// the stop's wait (an overloaded host) does not hold the stop. Other sensors
/// may run beside these tests, so only this sensor's programs and links,
/// found by id, are checked.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class ShutdownTests : IDisposable
{
    private const int BurstProcesses = 1000;
    private readonly string folder = Directory.CreateTempSubdirectory("ows-shutdown-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [SkippableFact]
    public void Sigterm_mid_burst_delivers_every_record_to_every_sink_detaches_and_exits_zero()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("bpftool");
        ExportReader.Require();
        string alertsFile = Path.Combine(folder, "alerts.jsonl");
        string outputFile = Path.Combine(folder, "output.jsonl");
        string exportSocket = Path.Combine(folder, "export.sock");
        using var alerts = new OneWayAlerts();
        using var senders = TestCgroup.Create("sigterm");
        using var sensor = SensorProcess.Start(
            ["run", "--no-engine", "--host-process-events", "--window", "1", "--poll-interval", "200",
            "--alerts", alertsFile, "--output-file", outputFile, "--export", $"unix:{exportSocket}", "--set", "Sensor:RingBufferBytes=67108864",
            .. OneWayAlerts.OnlyTheseAlerts]);
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
        OwnedBpfObjects owned = OwnedBpfObjects.Of(sensor.Pid);
        Assert.NotEmpty(owned.Programs);
        Assert.NotEmpty(owned.Links);
        using ExportReader reader = ExportReader.Connect(exportSocket);
        alerts.Raise(sensor, senders);

        // a burst of exec and exit records, then SIGTERM at once: many are still in the ring or the output queue
        ProcessResult burst = senders.Run("/bin/sh", "-c", $"i=0; while [ $i -lt {BurstProcesses} ]; do /bin/true; i=$((i+1)); done");
        Assert.Equal(0, burst.ExitCode);
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(30)));
        Assert.Contains("sensor stopped: programs detached", sensor.Stderr, StringComparison.Ordinal);

        // every exec of the burst was counted before the signal, and written after it
        string[] stdout = [.. sensor.Stdout];
        // (unless the kernel's ring itself overflowed before the sensor read it: a loss it counts, not a stop's)
        int execs = SensorOutput.Records(stdout, "process_exec").Count(exec => exec.GetProperty("process").GetProperty("exe").GetString() == "/bin/true" && exec.GetProperty("cgroup").GetProperty("id").GetUInt64() == senders.Id);
        double ringLost = SensorOutput.Labeled(JsonDocument.Parse(stdout[^1]).RootElement.GetProperty("metrics"), "kernel_records_lost_total", "ring_buffer_full");
        Assert.True(execs >= BurstProcesses || ringLost > 0, $"{execs} of the burst's {BurstProcesses} execs reached stdout, and no ring buffer loss was counted");
        Assert.Equal("health", JsonDocument.Parse(stdout[^1]).RootElement.GetProperty("kind").GetString());

        // the same records everywhere, to the last one
        Assert.Equal(stdout, File.ReadAllLines(outputFile));
        Assert.Equal(stdout.Where(line => line.Contains(",\"kind\":\"alert\",", StringComparison.Ordinal)), File.ReadAllLines(alertsFile));
        List<JsonNode> exported = reader.Records(TimeSpan.FromSeconds(20));
        long first = (long)exported[0]["seq"]!;
        Assert.Equal(stdout.Select(line => (long)JsonNode.Parse(line)!["seq"]!).Where(seq => seq >= first), exported.Select(record => (long)record["seq"]!));

        Assert.Empty(owned.ProgramsStillLoaded());
        Assert.Empty(owned.LinksStillPresent());
        Assert.False(File.Exists(exportSocket), "the export socket is removed at stop");
    }

    [SkippableFact]
    public void After_sigkill_nothing_stays_attached_and_the_next_start_takes_over_what_was_left()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("bpftool");
        ExportReader.Require();
        string controlSocket = Path.Combine(folder, "control.sock");
        string exportSocket = Path.Combine(folder, "export.sock");
        string alertsFile = Path.Combine(folder, "alerts.jsonl");
        string state = Path.Combine(folder, "state.db");
        string[] arguments =
        [
            "run", "--no-engine", "--window", "1", "--poll-interval", "200", "--alerts", alertsFile, "--state", state,
            "--export", $"unix:{exportSocket}", "--set", $"Sensor:ControlSocket={controlSocket}", .. OneWayAlerts.OnlyTheseAlerts,
        ];
        using var alerts = new OneWayAlerts();
        using var senders = TestCgroup.Create("sigkill");

        int killedPort;
        OwnedBpfObjects owned;
        using (var killed = SensorProcess.Start(arguments))
        {
            killed.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
            owned = OwnedBpfObjects.Of(killed.Pid);
            killedPort = alerts.Raise(killed, senders);
            killed.WaitUntil(() => OneWayAlerts.PortsOf(File.ReadAllLines(alertsFile), senders.Id).Contains(killedPort) && OneWayAlerts.PortsOf(SensorOutput.AlertHistory(state), senders.Id).Contains(killedPort), TimeSpan.FromSeconds(10), "the alert in the file and the state store");
            killed.Terminate(TimeSpan.FromSeconds(10), Signals.Sigkill);
        }

        // the links and programs went with the process; its socket files and the deny set's pins did not
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while ((owned.ProgramsStillLoaded().Count > 0 || owned.LinksStillPresent().Count > 0) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(200); // the kernel frees them after an RCU grace period
        }

        Assert.Empty(owned.LinksStillPresent());
        Assert.Empty(owned.ProgramsStillLoaded());
        Assert.True(File.Exists(controlSocket) && File.Exists(exportSocket), "a killed sensor leaves its socket files");
        Assert.True(Directory.Exists(DenySet.PinDirectory), "a killed sensor leaves the deny set pinned, so isolation outlives it");

        using var next = SensorProcess.Start(arguments);
        next.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
        Assert.True(SensorOutput.Status(next).GetProperty("uptime_seconds").GetDouble() >= 0, "the control socket answers");
        using ExportReader reader = ExportReader.Connect(exportSocket);
        int nextPort = alerts.Raise(next, senders);
        Assert.Equal(0, next.Terminate(TimeSpan.FromSeconds(30)));

        // the alerts file and the state store carry on from where the killed sensor left them
        Assert.Equal([killedPort, nextPort], OneWayAlerts.PortsOf(File.ReadAllLines(alertsFile), senders.Id));
        Assert.Equal([killedPort, nextPort], OneWayAlerts.PortsOf(SensorOutput.AlertHistory(state), senders.Id));
        Assert.Contains(reader.Records(TimeSpan.FromSeconds(20)), record => (string?)record["kind"] == "alert");
        Assert.False(File.Exists(controlSocket) || File.Exists(exportSocket), "a clean stop removes the socket files");
    }

    [SkippableFact]
    public void A_poll_that_outlasts_the_stop_wait_does_not_hold_the_stop_and_the_programs_are_detached()
    {
        Requirements.Root();
        Requirements.NativeLibrary();
        Requirements.Tool("bpftool");
        Preflight.Run();
        using var stuck = TestCgroup.Create("stuck");
        using var release = new ManualResetEventSlim();
        HashSet<uint> linksBefore = [.. OwnedBpfObjects.Of(Environment.ProcessId).Links];

        // every poll's detections take 30 s, as on a host far too loaded for its flows
        var source = new EbpfFlowSource(UnpinnedOptions.Create(pollIntervalMilliseconds: 100), new FlowTable(), afterPoll: _ => release.Wait(TimeSpan.FromSeconds(30)))
        {
            StopWait = TimeSpan.FromSeconds(1),
        };
        try
        {
            source.Start(stuck.Path);
            var links = new OwnedBpfObjects(new HashSet<uint>(), new HashSet<uint>(OwnedBpfObjects.Of(Environment.ProcessId).Links.Except(linksBefore)));
            Assert.NotEmpty(links.Links);
            Thread.Sleep(300); // the first poll is in its detections now

            var clock = Stopwatch.StartNew();
            source.Stop();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the stop took {clock.Elapsed}");
            Assert.True(source.StopLeftThreadRunning);
            Assert.Empty(links.LinksStillPresent());
        }
        finally
        {
            release.Set();
            Thread.Sleep(500); // the thread ends its poll and its last one; then the source frees everything
            source.Dispose();
        }
    }
}
