using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using OneWaySensor.Tests.Support;
using static OneWaySensor.Tests.Support.InvariantText;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// Operating the real sensor: a one-way sender raises an alert; the metrics
/// endpoint, `status`, `top` (in a tmux pane) and `alerts` (from the state
/// file) all show it; flow summaries count the sender's packets exactly once;
/// bad start-up input (a port in use, an unwritable state file) is one line.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class OperationsEndToEndTests : IDisposable
{
    private const int WindowSeconds = 2;
    private readonly string folder = Directory.CreateTempSubdirectory("ows-ops-e2e-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [SkippableFact]
    public async Task Metrics_status_top_and_alerts_show_what_the_sensor_saw()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("tmux");
        string state = Path.Combine(folder, "state.db");
        int port = FreePort();
        using var sink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var sender = TestCgroup.Create("ops");
        using var sensor = SensorProcess.Start(
            "run", "--no-engine", "--window", Text(WindowSeconds), "--poll-interval", "200", "--metrics", $"127.0.0.1:{port}", "--state", state,
            "--set", "Sensor:FlowSummarySeconds=1");
        string tmuxSession = $"ows-top-{Guid.NewGuid():N}";
        try
        {
            sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
            TrafficResult udp = TrafficResult.From(sender.Run(RepoPaths.TrafficGenerator, "udp-send", "127.0.0.1", Text(sink.Port), "5", "200"));
            sensor.WaitUntil(() => SensorOutput.Records(sensor, "alert").Any(alert => SensorOutput.CgroupOf(alert) == sender.Id), TimeSpan.FromSeconds(WindowSeconds + 15), "the one-way alert");

            // the metrics endpoint, in the text format (its snapshot is taken each second)
            using var http = new HttpClient();
            Dictionary<string, double> metrics = [];
            // every rule is listed from the start, at 0: wait for the snapshot that counts the alert
            for (int attempt = 0; attempt < 50 && metrics.GetValueOrDefault("onewaysensor_alerts_total{rule=\"one_way_flow\"}") < 1; attempt++)
            {
                await Task.Delay(100);
                metrics = ParsePrometheus(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")));
            }

            Assert.True(metrics["onewaysensor_alerts_total{rule=\"one_way_flow\"}"] >= 1);
            Assert.True(metrics["onewaysensor_records_total{kind=\"flow_summary\"}"] >= 1);
            Assert.Equal(65536, metrics["onewaysensor_flow_map_capacity"]);
            Assert.True(metrics["onewaysensor_flow_map_entries"] >= 1);
            Assert.Equal(0, metrics["onewaysensor_kernel_records_lost_total{reason=\"ring_buffer_full\"}"]);
            Assert.Contains("onewaysensor_sink_records_lost_total{sink=\"state\"}", metrics.Keys);
            Assert.Contains("onewaysensor_metadata_cache_hits_total", metrics.Keys);

            // status prints the same figures, readable
            ProcessResult status = ProcessRunner.Run(RepoPaths.SensorBinary, ["status", "--control-socket", sensor.ControlSocket]);
            Assert.True(status.ExitCode == 0, status.Stderr);
            // rules are listed by name once they alert: another rule that fired on the same traffic may come first
            Assert.Matches(@"\n  alerts_total +(?:\w+=\d+ )*one_way_flow=[1-9]", status.Stdout);
            Assert.Matches(@"\n  flow_map_capacity +65536\n", status.Stdout);

            // top, live in a terminal: the sender's cgroup with its one-way flow and its alert
            ProcessResult started = ProcessRunner.Run("tmux", ["new-session", "-d", "-s", tmuxSession, "-x", "200", "-y", "50", $"{RepoPaths.SensorBinary} top --control-socket {sensor.ControlSocket}"]);
            Assert.True(started.ExitCode == 0, started.Stderr);
            string screen = string.Empty;
            sensor.WaitUntil(
                () => (screen = ProcessRunner.Run("tmux", ["capture-pane", "-p", "-t", tmuxSession]).Stdout).Contains(sender.RelativePath, StringComparison.Ordinal),
                TimeSpan.FromSeconds(15),
                "top shows the sender's cgroup");
            Assert.Contains("onewaysensor top", screen, StringComparison.Ordinal);
            string row = screen.Split('\n').Single(line => line.Contains(sender.RelativePath, StringComparison.Ordinal));
            string[] cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);

            // TX/s TX-BYTES TX-PKTS RX/s RX-BYTES RX-PKTS FLOWS ONE-WAY ALERTS RUNTIME CONTAINER
            Assert.Equal(Text((int)udp.SentPackets), cells[2]);
            Assert.Equal("0", cells[5]);
            Assert.Equal("1", cells[7]);
            Assert.True(int.Parse(cells[8], CultureInfo.InvariantCulture) >= 1, row);

            Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));

            // flow summaries add up to exactly what was sent, across intervals and the last one at stop
            List<JsonElement> summaries = [.. SensorOutput.Records(sensor, "flow_summary").Where(summary => SensorOutput.CgroupOf(summary) == sender.Id && summary.GetProperty("remote").GetProperty("port").GetInt32() == sink.Port)];
            Assert.NotEmpty(summaries);
            Assert.Equal(udp.SentPackets, summaries.Aggregate(0UL, (sum, summary) => sum + summary.GetProperty("tx_packets").GetUInt64()));
            Assert.Equal(udp.SentBytes, summaries.Aggregate(0UL, (sum, summary) => sum + summary.GetProperty("tx_payload_bytes").GetUInt64()));

            // the alert history holds the alert lines exactly as they were written
            ProcessResult alerts = ProcessRunner.Run(RepoPaths.SensorBinary, ["alerts", "--state", state, "--since", "1h"]);
            Assert.True(alerts.ExitCode == 0, alerts.Stderr);
            Assert.Equal(sensor.Stdout.Where(line => line.Contains(",\"kind\":\"alert\",", StringComparison.Ordinal)), alerts.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            ProcessRunner.Run("tmux", ["kill-session", "-t", tmuxSession]);
        }
    }

    [SkippableFact]
    public void A_metrics_port_in_use_fails_start_up_with_one_line_and_nothing_attached()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("bpftool");
        string root = OneWaySensor.Linux.Preflight.Run();
        int attachedBefore = AttachedPrograms.Count(root);
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        ProcessResult result = ProcessRunner.Run(RepoPaths.SensorBinary, ["run", "--no-engine", "--state", string.Empty, "--metrics", $"127.0.0.1:{port}", "--duration", "5", "--set", $"Sensor:ControlSocket=", "--set", "Sensor:FlowPinDirectory="]);
        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"onewaysensor: cannot serve metrics on 127.0.0.1:{port}: ", line, StringComparison.Ordinal);
        Assert.Equal(attachedBefore, AttachedPrograms.Count(root));
    }

    [SkippableFact]
    public void An_unwritable_state_file_fails_start_up_with_one_line()
    {
        Requirements.Root();
        Requirements.Built();
        string blocker = Path.Combine(folder, "a-file");
        File.WriteAllText(blocker, string.Empty);
        string state = Path.Combine(blocker, "state.db");

        ProcessResult result = ProcessRunner.Run(RepoPaths.SensorBinary, ["run", "--no-engine", "--state", state, "--duration", "5", "--set", "Sensor:ControlSocket="]);
        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"onewaysensor: state file {state}: cannot open for writing: ", line, StringComparison.Ordinal);
    }

    private static Dictionary<string, double> ParsePrometheus(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.StartsWith('#')))
        {
            int space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }

        return samples;
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
