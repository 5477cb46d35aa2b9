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
        using var alerts = new OneWayAlerts();
        using var senders = TestCgroup.Create("fulldisk");
        using var sensor = SensorProcess.Start(
            ["run", "--no-engine", "--window", "1", "--poll-interval", "200", "--alerts", alertsFile, "--state", state, "--export", $"unix:{exportSocket}", .. OneWayAlerts.OnlyTheseAlerts]);
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
        using ExportReader reader = ExportReader.Connect(exportSocket);

        int before = alerts.Raise(sensor, senders);
        sensor.WaitUntil(() => OneWayAlerts.PortsOf(File.ReadAllLines(alertsFile), senders.Id).Contains(before) && OneWayAlerts.PortsOf(SensorOutput.AlertHistory(state), senders.Id).Contains(before), TimeSpan.FromSeconds(10), "the first alert in both files");
        disk.Fill();
        for (int alert = 0; alert < 3; alert++)
        {
            alerts.Raise(sensor, senders);
        }

        // one alert may still fit in the room left on the alerts file's last page, not three
        sensor.WaitUntil(() => Lost(sensor, "alerts_file") >= 1 && Lost(sensor, "state") >= 1, TimeSpan.FromSeconds(10), "both sinks count their losses");
        JsonElement status = SensorOutput.Status(sensor);
        Assert.Equal(0, SensorOutput.Labeled(status, "sink_records_lost_total", "stdout"));
        Assert.Equal(0, SensorOutput.Labeled(status, "sink_records_lost_total", "export"));
        sensor.WaitUntil(() => SensorOutput.LogLines(sensor, "output sink state lost") == 1, TimeSpan.FromSeconds(5), "the state store's failure said");
        Assert.Equal(1, SensorOutput.LogLines(sensor, "output sink alerts_file lost"));
        Assert.Contains("No space left on device", sensor.Stderr, StringComparison.Ordinal);

        disk.Free();
        int after = alerts.Raise(sensor, senders);
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

        // the alerts file and the state store's history: whole alert lines exactly as stdout has them, in its
        // order, the alerts from before and after among them; what is missing is exactly what each counted as lost
        string[] stdoutAlerts = [.. sensor.Stdout.Where(line => line.Contains(",\"kind\":\"alert\",", StringComparison.Ordinal))];
        JsonElement lost = SensorOutput.Records(sensor, "health")[^1].GetProperty("metrics").GetProperty("sink_records_lost_total");
        AssertKept(File.ReadAllLines(alertsFile), stdoutAlerts, lost.GetProperty("alerts_file").GetInt32(), senders.Id, before, after);
        AssertKept(SensorOutput.AlertHistory(state), stdoutAlerts, lost.GetProperty("state").GetInt32(), senders.Id, before, after);
    }

    private static void AssertKept(string[] kept, string[] written, int lost, ulong cgroupId, int before, int after)
    {
        int next = 0;
        foreach (string line in kept)
        {
            next = Array.IndexOf(written, line, next) + 1;
            Assert.True(next > 0, $"a kept line is not one stdout has, or out of its order: {line}");
        }

        Assert.True(lost >= 1);
        Assert.Equal(written.Length - lost, kept.Length);
        Assert.Contains(before, OneWayAlerts.PortsOf(kept, cgroupId));
        Assert.Contains(after, OneWayAlerts.PortsOf(kept, cgroupId));
    }

    private static double Lost(SensorProcess sensor, string sink) => SensorOutput.Labeled(SensorOutput.Status(sensor), "sink_records_lost_total", sink);
}
