using System.Text.Json;
using OneWaySensor.Alerts;
using OneWaySensor.Detection;
using static OneWaySensor.Tests.Core.Detection.DetectionHarness;

namespace OneWaySensor.Tests.Core.Detection;

/// <summary>The alert's JSON field names are a contract that later versions only extend.</summary>
public sealed class AlertJsonContractTests
{
    [Fact]
    public void The_alert_json_keeps_the_contract_fields_in_order()
    {
        var harness = new DetectionHarness(windowSeconds: 5);
        harness.Poll(Start + (6 * Second), () => harness.Flow(Key(7, 40001, "127.0.0.9", 53, OneWaySensor.Flows.FlowProtocol.Udp), 200, 0, Start, txFlags: 0, rxFlags: 0));

        using JsonDocument json = JsonDocument.Parse(AlertJsonWriter.ToJson(Assert.Single(harness.Alerts)));
        JsonElement root = json.RootElement;
        string[] topLevel = ["kind", "time", "rule", "technique", "tactic", "priority", "summary", "cgroup", "workload", "container", "process", "flow", "evidence", "response"];
        Assert.Equal(topLevel, root.EnumerateObject().Select(property => property.Name));
        Assert.Equal("alert", root.GetProperty("kind").GetString());
        Assert.Equal("one_way_flow", root.GetProperty("rule").GetString());
        Assert.Equal("T1102.003", root.GetProperty("technique").GetString());
        Assert.Equal("command-and-control", root.GetProperty("tactic").GetString());
        Assert.Equal("high", root.GetProperty("priority").GetString());
        Assert.Equal("host", root.GetProperty("workload").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("container").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("process").ValueKind);
        Assert.Equal(7ul, root.GetProperty("cgroup").GetProperty("id").GetUInt64());
        Assert.Equal("/host-7", root.GetProperty("cgroup").GetProperty("path").GetString());
        JsonElement flow = root.GetProperty("flow");
        string[] flowFields = ["proto", "local_addr", "local_port", "remote_addr", "remote_port", "initiator", "conn_state", "tx_payload_bytes", "rx_payload_bytes", "tx_packets", "rx_packets", "tx_ip_bytes", "rx_ip_bytes", "first_seen", "last_seen"];
        Assert.Equal(flowFields, flow.EnumerateObject().Select(property => property.Name));
        Assert.Equal("udp", flow.GetProperty("proto").GetString());
        Assert.Equal("10.1.0.2", flow.GetProperty("local_addr").GetString());
        Assert.Equal("127.0.0.9", flow.GetProperty("remote_addr").GetString());
        Assert.Equal(53, flow.GetProperty("remote_port").GetInt32());
        Assert.Equal("local", flow.GetProperty("initiator").GetString());
        Assert.Equal("S0", flow.GetProperty("conn_state").GetString());
        Assert.Equal(200ul, flow.GetProperty("tx_payload_bytes").GetUInt64());
        Assert.Equal(5, root.GetProperty("evidence").GetProperty("window_seconds").GetInt32());
    }

    [Fact]
    public void Untrusted_text_is_escaped_in_the_json()
    {
        var alert = new Alert(DateTimeOffset.UnixEpoch, RuleIds.OneWayFlow, AlertPriority.High, "summary", 1, "/evil\u001b[31m\"\n", default, []);
        string json = AlertJsonWriter.ToJson(alert);

        Assert.DoesNotContain('\u001b', json);
        Assert.DoesNotContain('\n', json);
        using JsonDocument parsed = JsonDocument.Parse(json);
        Assert.Equal("/evil\u001b[31m\"\n", parsed.RootElement.GetProperty("cgroup").GetProperty("path").GetString());
    }
}
