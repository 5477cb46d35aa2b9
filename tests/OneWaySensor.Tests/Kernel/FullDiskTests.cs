using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The alerts file and the state store on a disk that fills up under the
/// running sensor: each failing sink is said once, with its reason, and
/// counted per sink in the status; the sensor keeps running; stdout and the
/// export socket get every record; the alerts file never holds half a line;
/// once there is room again, both sinks write again and say so.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class FullDiskTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("ows-full-disk-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [SkippableFact]
    public void A_full_disk_under_the_alerts_file_and_the_state_store_is_said_once_and_the_other_sinks_keep_every_record()
    {
        Requirements.Root();
        Requirements.Built();
        ExportReader.Require();
        using SmallTmpfs disk = SmallTmpfs.Mount(256);
        string alertsFile = disk.File("alerts.jsonl");
        string state = disk.File("state.db");
        string exportSocket = Path.Combine(folder, "export.sock");
        using var senders = TestCgroup.Create("fulldisk");
        using var sensor = SensorProcess.Start(
            "run", "--no-engine", "--window", "1", "--poll-interval", "200", "--alerts", alertsFile, "--state", state, "--export", $"unix:{exportSocket}");
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
        using ExportReader reader = ExportReader.Connect(exportSocket);

        int before = RaiseAlert(sensor, senders);
        disk.Fill();
        int[] whileFull = [RaiseAlert(sensor, senders), RaiseAlert(sensor, senders), RaiseAlert(sensor, senders)];

        sensor.WaitUntil(() => Lost(sensor, "alerts_file") >= whileFull.Length && Lost(sensor, "state") >= whileFull.Length, TimeSpan.FromSeconds(10), "both sinks count their losses");
        JsonElement status = SensorOutput.Status(sensor);
        Assert.Equal(0, SensorOutput.Labeled(status, "sink_records_lost_total", "stdout"));
        Assert.Equal(0, SensorOutput.Labeled(status, "sink_records_lost_total", "export"));
        sensor.WaitUntil(() => SensorOutput.LogLines(sensor, "output sink state lost") == 1, TimeSpan.FromSeconds(5), "the state store's failure said");
        Assert.Equal(1, SensorOutput.LogLines(sensor, "output sink alerts_file lost"));
        Assert.Contains("No space left on device", sensor.Stderr, StringComparison.Ordinal);

        disk.Free();
        int after = RaiseAlert(sensor, senders);
        sensor.WaitUntil(() => SensorOutput.LogLines(sensor, "output sink alerts_file writes again") == 1 && SensorOutput.LogLines(sensor, "output sink state writes again") == 1, TimeSpan.FromSeconds(10), "both sinks write again");
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(30)));

        // said once each, however many records were lost meanwhile
        Assert.Equal(1, SensorOutput.LogLines(sensor, "output sink alerts_file lost"));
        Assert.Equal(1, SensorOutput.LogLines(sensor, "output sink state lost"));

        // the export got every record stdout got, from its first on, with the same keys and values
        Dictionary<long, JsonNode> written = sensor.Stdout.Select(line => JsonNode.Parse(line)!).ToDictionary(record => (long)record["seq"]!);
        List<JsonNode> exported = reader.Records(TimeSpan.FromSeconds(20));
        long first = (long)exported[0]["seq"]!;
        Assert.Equal(written.Keys.Where(seq => seq >= first).Order(), exported.Select(record => (long)record["seq"]!));
        Assert.All(exported, record => Assert.True(JsonNode.DeepEquals(written[(long)record["seq"]!], record)));

        // the alerts file: whole lines only; the alerts from before and after, not all from while it was full
        // (one may fit in the room left on the file's last page)
        string[] filed = File.ReadAllLines(alertsFile);
        Assert.All(filed, line => JsonDocument.Parse(line).Dispose());
        AssertKept(filed, senders.Id, before, whileFull, after);

        // the state store's history likewise
        ProcessResult history = ProcessRunner.Run(RepoPaths.SensorBinary, ["alerts", "--state", state, "--since", "1h"]);
        Assert.True(history.ExitCode == 0, history.Stderr);
        AssertKept(history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), senders.Id, before, whileFull, after);
    }

    /// <summary>A one-way sender to a port of its own, until stdout has its alert; returns the port.</summary>
    private static int RaiseAlert(SensorProcess sensor, TestCgroup senders)
    {
        using var sink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        TrafficResult.From(senders.Run(RepoPaths.TrafficGenerator, "udp-send", "127.0.0.1", sink.Port.ToString(CultureInfo.InvariantCulture), "3", "100"));
        sensor.WaitUntil(
            () => SensorOutput.Records(sensor, "alert").Any(alert => SensorOutput.CgroupOf(alert) == senders.Id && RemotePort(alert) == sink.Port),
            TimeSpan.FromSeconds(15),
            $"the alert for port {sink.Port}");
        return sink.Port;
    }

    private static void AssertKept(IEnumerable<string> alertLines, ulong cgroupId, int before, int[] whileFull, int after)
    {
        List<int> ports = [.. alertLines.Select(line => JsonDocument.Parse(line).RootElement).Where(alert => SensorOutput.CgroupOf(alert) == cgroupId).Select(RemotePort)];
        Assert.Equal(before, ports[0]);
        Assert.Equal(after, ports[^1]);
        Assert.True(ports.Count < whileFull.Length + 2, $"some alerts from while the disk was full are missing: kept {string.Join(", ", ports)}");
    }

    private static int RemotePort(JsonElement alert) => alert.GetProperty("flow").GetProperty("remote_port").GetInt32();

    private static double Lost(SensorProcess sensor, string sink) => SensorOutput.Labeled(SensorOutput.Status(sensor), "sink_records_lost_total", sink);
}
