using System.Net;
using System.Text.Json;
using OneWaySensor.Linux;
using OneWaySensor.Tests.Support;
using static OneWaySensor.Tests.Support.InvariantText;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The shipped binary, as root, against real traffic: one-way senders in one
/// cgroup raise alerts, a two-way echo in another raises none, SIGTERM
/// detaches everything and exits 0.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class SensorEndToEndTests
{
    private const int WindowSeconds = 2;

    [SkippableFact]
    public void One_way_senders_alert_and_a_two_way_echo_does_not()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("bpftool");
        string root = Preflight.Run();
        int attachedBefore = AttachedPrograms.Count(root);
        string alertsFile = Path.Combine(Path.GetTempPath(), $"ows-alerts-{Guid.NewGuid():N}.jsonl");

        using var udpSink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var tcpSink = LoopbackServer.Tcp(IPAddress.IPv6Loopback, echo: false);
        using var udpEcho = LoopbackServer.Udp(IPAddress.IPv6Loopback, echo: true);
        using var tcpEcho = LoopbackServer.Tcp(IPAddress.Loopback, echo: true);
        using var oneWay = TestCgroup.Create("oneway");
        using var twoWay = TestCgroup.Create("twoway");
        using var sensor = SensorProcess.Start("run", "--window", Text(WindowSeconds), "--poll-interval", "200", "--alerts", alertsFile, "--no-engine");
        try
        {
            sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
            Assert.Equal(attachedBefore + 2, AttachedPrograms.Count(root));

            TrafficResult udp = TrafficResult.From(oneWay.Run(RepoPaths.TrafficGenerator, "udp-send", "127.0.0.1", Text(udpSink.Port), "5", "200"));
            TrafficResult tcp = TrafficResult.From(oneWay.Run(RepoPaths.TrafficGenerator, "tcp-send", "::1", Text(tcpSink.Port), "5", "200"));
            TrafficResult udpEchoed = TrafficResult.From(twoWay.Run(RepoPaths.TrafficGenerator, "udp-echo", "::1", Text(udpEcho.Port), "5", "200"));
            TrafficResult tcpEchoed = TrafficResult.From(twoWay.Run(RepoPaths.TrafficGenerator, "tcp-echo", "127.0.0.1", Text(tcpEcho.Port), "5", "200"));

            sensor.WaitUntil(() => AlertsFor(sensor, oneWay.Id).Count >= 2, TimeSpan.FromSeconds(WindowSeconds + 15), "alerts for both one-way senders");

            // the echo flows are as old as the one-way ones: a window more and they would have raised
            Thread.Sleep(TimeSpan.FromSeconds(WindowSeconds + 1));
            Assert.Empty(AlertsFor(sensor, twoWay.Id));

            List<JsonElement> alerts = AlertsFor(sensor, oneWay.Id);
            JsonElement udpAlert = alerts.Single(alert => alert.GetProperty("flow").GetProperty("local_port").GetInt32() == udp.LocalPort);
            JsonElement tcpAlert = alerts.Single(alert => alert.GetProperty("flow").GetProperty("local_port").GetInt32() == tcp.LocalPort);
            AssertOneWay(udpAlert, "udp", "127.0.0.1", udpSink.Port, udp, oneWay.RelativePath);
            AssertOneWay(tcpAlert, "tcp", "::1", tcpSink.Port, tcp, oneWay.RelativePath);
            Assert.Equal(udp.SentPackets, udpAlert.GetProperty("flow").GetProperty("tx_packets").GetUInt64());
            Assert.Equal(0ul, udpAlert.GetProperty("flow").GetProperty("rx_packets").GetUInt64());
            Assert.True(tcpAlert.GetProperty("flow").GetProperty("rx_packets").GetUInt64() > 0, "the TCP peer's ACKs came back, without payload");
            Assert.NotEqual(0ul, udpEchoed.ReceivedBytes + tcpEchoed.ReceivedBytes);

            Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(15)));
            Assert.Contains("sensor stopped", sensor.Stderr, StringComparison.Ordinal);
            Assert.Equal(attachedBefore, AttachedPrograms.Count(root));

            // the alerts file holds the same lines as stdout, in order
            string[] filed = File.ReadAllLines(alertsFile);
            Assert.Equal(sensor.Stdout.Where(line => line.Contains(",\"kind\":\"alert\",", StringComparison.Ordinal)), filed);
        }
        finally
        {
            File.Delete(alertsFile);
        }
    }

    [SkippableFact]
    public void Without_privileges_start_up_fails_with_one_line_naming_the_capability()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("setpriv");

        // root's uid with every capability gone: the binary stays readable wherever CI cloned it
        ProcessResult result = ProcessRunner.Run("setpriv", ["--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--", RepoPaths.SensorBinary, "run", "--state", string.Empty, "--set", "Sensor:ControlSocket="]);

        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // eBPF cannot run, and neither can its fallback, which needs CAP_NET_RAW: the one line says both
        Assert.StartsWith("onewaysensor: missing capability CAP_BPF: run as root or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN; the pcap fallback failed too: capture interface any: ", line, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void An_alerts_file_that_cannot_be_opened_fails_start_up_with_one_line()
    {
        Requirements.Root();
        Requirements.Built();
        ProcessResult result = ProcessRunner.Run(RepoPaths.SensorBinary, ["run", "--alerts", "/proc/no-such-dir/alerts.jsonl", "--duration", "5"]);

        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("onewaysensor: cannot open the alerts file /proc/no-such-dir/alerts.jsonl", line, StringComparison.Ordinal);
    }

    private static void AssertOneWay(JsonElement alert, string proto, string remote, int remotePort, TrafficResult sent, string cgroupPath)
    {
        Assert.Equal("alert", alert.GetProperty("kind").GetString());
        Assert.Equal("one_way_flow", alert.GetProperty("rule").GetString());
        Assert.Equal("host", alert.GetProperty("workload").GetString());
        Assert.Equal(JsonValueKind.Null, alert.GetProperty("container").ValueKind);
        Assert.Equal(sent.Pid, alert.GetProperty("process").GetProperty("pid").GetUInt32());
        Assert.Equal("owsgen", alert.GetProperty("process").GetProperty("comm").GetString());
        Assert.Equal("T1102.003", alert.GetProperty("technique").GetString());
        Assert.Equal(cgroupPath, alert.GetProperty("cgroup").GetProperty("path").GetString());
        JsonElement flow = alert.GetProperty("flow");
        Assert.Equal(proto, flow.GetProperty("proto").GetString());
        Assert.Equal(remote, flow.GetProperty("remote_addr").GetString());
        Assert.Equal(remotePort, flow.GetProperty("remote_port").GetInt32());
        Assert.Equal("local", flow.GetProperty("initiator").GetString());
        Assert.Equal(sent.SentBytes, flow.GetProperty("tx_payload_bytes").GetUInt64());
        Assert.Equal(0ul, flow.GetProperty("rx_payload_bytes").GetUInt64());
    }

    private static List<JsonElement> AlertsFor(SensorProcess sensor, ulong cgroupId) =>
        sensor.Stdout
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(line => line.GetProperty("kind").GetString() == "alert")
            .Where(alert => alert.GetProperty("cgroup").GetProperty("id").GetUInt64() == cgroupId)
            .ToList();
}
