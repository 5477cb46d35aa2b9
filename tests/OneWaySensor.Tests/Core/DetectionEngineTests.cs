using System.Text.Json;
using OneWaySensor.Alerts;
using OneWaySensor.Cgroups;
using OneWaySensor.Detection;
using OneWaySensor.Flows;

namespace OneWaySensor.Tests.Core;

public sealed class DetectionEngineTests
{
    private const long Second = UnixTime.NanosecondsPerSecond;

    private sealed class Collected : IAlertSink
    {
        public List<Alert> Alerts { get; } = [];

        public void Emit(Alert alert) => Alerts.Add(alert);
    }

    private sealed class OneCgroup : ICgroupDirectory
    {
        public string? PathOf(ulong cgroupId) => cgroupId == 7 ? "/docker/abc" : null;
    }

    private static (FlowTable Table, DetectionEngine Engine, Collected Sink) Setup(long windowSeconds = 60)
    {
        var sink = new Collected();
        return (new FlowTable(), new DetectionEngine(windowSeconds, new OneCgroup(), sink), sink);
    }

    [Fact]
    public void A_sender_without_inbound_payload_for_the_window_raises_once()
    {
        (FlowTable table, DetectionEngine engine, Collected sink) = Setup();
        table.BeginPoll();
        table.Observe(FlowTableTests.Sample(FlowTableTests.Key(), new FlowCounters(10, 1280, 1000), new FlowCounters(10, 520, 0), 100 * Second, 150 * Second));

        engine.Evaluate(table, 159 * Second);
        Assert.Empty(sink.Alerts);

        engine.Evaluate(table, 160 * Second);
        engine.Evaluate(table, 170 * Second);
        Alert alert = Assert.Single(sink.Alerts);
        Assert.Equal("one_way_flow", alert.Rule);
        Assert.Equal(AlertPriority.High, alert.Priority);
        Assert.Equal("/docker/abc", alert.CgroupPath);
        Assert.Equal(1000ul, alert.Flow.Tx.PayloadBytes);
        Assert.Equal(10ul, alert.Flow.Rx.Packets);
        Assert.Equal(1ul, engine.AlertsRaised);
    }

    [Theory]
    [InlineData(1000ul, 1ul)] // a single byte of reply makes it two-way
    [InlineData(0ul, 1000ul)] // receive only
    [InlineData(0ul, 0ul)] // handshake or ACKs only
    public void A_flow_that_is_not_send_only_never_raises(ulong txPayload, ulong rxPayload)
    {
        (FlowTable table, DetectionEngine engine, Collected sink) = Setup();
        table.BeginPoll();
        table.Observe(FlowTableTests.Sample(FlowTableTests.Key(), new FlowCounters(10, 1280, txPayload), new FlowCounters(10, 520, rxPayload), 100 * Second, 150 * Second));

        engine.Evaluate(table, 1000 * Second);
        Assert.Empty(sink.Alerts);
    }

    [Fact]
    public void The_alert_json_keeps_the_contract_fields()
    {
        (FlowTable table, DetectionEngine engine, Collected sink) = Setup(windowSeconds: 5);
        table.BeginPoll();
        table.Observe(FlowTableTests.Sample(FlowTableTests.Key(), new FlowCounters(2, 256, 200), new FlowCounters(2, 104, 0), 100 * Second, 101 * Second));
        engine.Evaluate(table, 106 * Second);

        using JsonDocument json = JsonDocument.Parse(AlertJsonWriter.ToJson(Assert.Single(sink.Alerts)));
        JsonElement root = json.RootElement;
        string[] topLevel = ["kind", "time", "rule", "technique", "tactic", "priority", "summary", "cgroup", "workload", "container", "process", "flow", "evidence"];
        Assert.Equal(topLevel, root.EnumerateObject().Select(property => property.Name));
        Assert.Equal("alert", root.GetProperty("kind").GetString());
        Assert.Equal("host", root.GetProperty("workload").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("process").ValueKind);
        Assert.Equal("T1102.003", root.GetProperty("technique").GetString());
        Assert.Equal("command-and-control", root.GetProperty("tactic").GetString());
        Assert.Equal("high", root.GetProperty("priority").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("container").ValueKind);
        Assert.Equal(7ul, root.GetProperty("cgroup").GetProperty("id").GetUInt64());
        Assert.Equal("/docker/abc", root.GetProperty("cgroup").GetProperty("path").GetString());
        JsonElement flow = root.GetProperty("flow");
        string[] flowFields = ["proto", "local_addr", "local_port", "remote_addr", "remote_port", "initiator", "tx_payload_bytes", "rx_payload_bytes", "tx_packets", "rx_packets", "tx_ip_bytes", "rx_ip_bytes", "first_seen", "last_seen"];
        Assert.Equal(flowFields, flow.EnumerateObject().Select(property => property.Name));
        Assert.Equal("udp", flow.GetProperty("proto").GetString());
        Assert.Equal("127.0.0.1", flow.GetProperty("local_addr").GetString());
        Assert.Equal("127.0.0.9", flow.GetProperty("remote_addr").GetString());
        Assert.Equal(53, flow.GetProperty("remote_port").GetInt32());
        Assert.Equal("local", flow.GetProperty("initiator").GetString());
        Assert.Equal(200ul, flow.GetProperty("tx_payload_bytes").GetUInt64());
        Assert.Equal(5, root.GetProperty("evidence").GetProperty("window_seconds").GetInt32());
    }

    [Fact]
    public void Untrusted_text_is_escaped_in_the_json()
    {
        var alert = new Alert(DateTimeOffset.UnixEpoch, "one_way_flow", AlertPriority.High, "summary", 1, "/evil\u001b[31m\"\n", default, []);
        string json = AlertJsonWriter.ToJson(alert);

        Assert.DoesNotContain('\u001b', json);
        Assert.DoesNotContain('\n', json);
        using JsonDocument parsed = JsonDocument.Parse(json);
        Assert.Equal("/evil\u001b[31m\"\n", parsed.RootElement.GetProperty("cgroup").GetProperty("path").GetString());
    }
}
