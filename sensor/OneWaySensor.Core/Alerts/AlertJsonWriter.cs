using System.Buffers;
using System.Globalization;
using System.Text.Json;
using OneWaySensor.Containers;
using OneWaySensor.Detection.Scoring;
using OneWaySensor.Flows;
using OneWaySensor.Output;
using OneWaySensor.Processes;

namespace OneWaySensor.Alerts;

/// <summary>Writes an alert as one line of JSON, field names as the contract in README.md.</summary>
public static class AlertJsonWriter
{
    public static void Write(Alert alert, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(alert);
        Utf8JsonWriter json = OutputJson.Begin(output);
        json.WriteStartObject();
        json.WriteString("kind", "alert");
        OutputJson.WriteTime(json, "time", alert.Time);
        json.WriteString("rule", alert.Rule);
        json.WriteString("technique", Alert.Technique);
        json.WriteString("tactic", Alert.Tactic);
        json.WriteString("priority", alert.Priority.ToString().ToLowerInvariant());
        json.WriteString("summary", alert.Summary);
        ContainerJsonWriter.WriteWorkload(json, alert.CgroupId, alert.CgroupPath, alert.Container, alert.ContainerMetadata);

        WriteProcess(json, alert.Flow.Owner, alert.ProcessExecutable);
        WriteFlow(json, alert.Flow);
        json.WritePropertyName("evidence");
        alert.Evidence.WriteTo(json);
        WriteResponse(json, alert);
        json.WriteEndObject();
        json.Flush();
    }

    /// <summary>The ADS's response steps and what a responder verifies the alert with.</summary>
    private static void WriteResponse(Utf8JsonWriter json, Alert alert)
    {
        json.WriteStartObject("response");
        json.WriteStartArray("steps");
        foreach (string step in AlertContext.ResponseSteps)
        {
            json.WriteStringValue(step);
        }

        json.WriteEndArray();
        json.WriteStartArray("flows");
        foreach (FlowState flow in alert.Context?.Flows ?? [])
        {
            json.WriteStartObject();
            WriteFlowFields(json, flow);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("other_destinations");
        foreach (DestinationSummary destination in alert.Context?.OtherDestinations ?? [])
        {
            json.WriteStartObject();
            json.WriteString("proto", destination.Protocol);
            json.WriteString("addr", destination.Address);
            json.WriteNumber("port", destination.Port);
            json.WriteNumber("flows", destination.Flows);
            json.WriteNumber("tx_payload_bytes", destination.Tx.PayloadBytes);
            json.WriteNumber("rx_payload_bytes", destination.Rx.PayloadBytes);
            OutputJson.WriteTime(json, "last_seen", UnixTime.ToDateTimeOffset(destination.LastSeenUnixNs));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("recent_runtime_events");
        foreach (RuntimeEvent runtimeEvent in alert.RecentRuntimeEvents)
        {
            json.WriteStartObject();
            json.WriteString("kind", runtimeEvent.KindName);
            OutputJson.WriteTime(json, "time", runtimeEvent.Time);
            if (runtimeEvent.Command is not null)
            {
                json.WriteString("command", runtimeEvent.Command);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static string ToJson(Alert alert)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        Write(alert, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteProcess(Utf8JsonWriter json, in ProcessRef owner, string? executable)
    {
        if (!owner.Known)
        {
            json.WriteNull("process");
            return;
        }

        json.WriteStartObject("process");
        json.WriteNumber("pid", owner.Tgid);
        json.WriteNumber("tid", owner.Pid);
        json.WriteString("comm", owner.Comm.ToString());
        json.WriteString("exe", executable);
        json.WriteEndObject();
    }

    private static void WriteFlow(Utf8JsonWriter json, in FlowState flow)
    {
        json.WriteStartObject("flow");
        WriteFlowFields(json, flow);
        json.WriteEndObject();
    }

    /// <summary>The fields of a flow object, shared by alerts and investigations.</summary>
    public static void WriteFlowFields(Utf8JsonWriter json, in FlowState flow)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteString("proto", ProtocolName(flow.Key.Protocol));
        json.WriteString("local_addr", FlowAddress.ToIPAddress(flow.Key.LocalAddress, flow.Key.IpVersion).ToString());
        json.WriteNumber("local_port", flow.Key.LocalPort);
        json.WriteString("remote_addr", FlowAddress.ToIPAddress(flow.Key.RemoteAddress, flow.Key.IpVersion).ToString());
        json.WriteNumber("remote_port", flow.Key.RemotePort);
        json.WriteString("initiator", flow.Initiator == FlowInitiator.Local ? "local" : "remote");
        json.WriteString("conn_state", ConnStateClassifier.Classify(flow).ToZeekString());
        WriteTraffic(json, flow.Tx, flow.Rx, flow.FirstSeenUnixNs, flow.LastSeenUnixNs);
    }

    /// <summary>The counters and times of a flow or of a flow summary, named alike in both.</summary>
    public static void WriteTraffic(Utf8JsonWriter json, FlowCounters tx, FlowCounters rx, long firstSeenUnixNs, long lastSeenUnixNs)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteNumber("tx_payload_bytes", tx.PayloadBytes);
        json.WriteNumber("rx_payload_bytes", rx.PayloadBytes);
        json.WriteNumber("tx_packets", tx.Packets);
        json.WriteNumber("rx_packets", rx.Packets);
        json.WriteNumber("tx_ip_bytes", tx.IpBytes);
        json.WriteNumber("rx_ip_bytes", rx.IpBytes);
        OutputJson.WriteTime(json, "first_seen", UnixTime.ToDateTimeOffset(firstSeenUnixNs));
        OutputJson.WriteTime(json, "last_seen", UnixTime.ToDateTimeOffset(lastSeenUnixNs));
    }

    public static string ProtocolName(FlowProtocol protocol) => protocol switch
    {
        FlowProtocol.Tcp => "tcp",
        FlowProtocol.Udp => "udp",
        FlowProtocol.Icmp => "icmp",
        FlowProtocol.IcmpV6 => "icmp6",
        _ => ((byte)protocol).ToString(CultureInfo.InvariantCulture),
    };
}
