using System.Buffers;
using System.Text.Json;
using OneWaySensor.Alerts;
using OneWaySensor.Containers;
using OneWaySensor.Detection;
using OneWaySensor.Flows;

namespace OneWaySensor.Output;

/// <summary>`onewaysensor investigate`'s answer: one JSON document about one workload.</summary>
public static class InvestigationJsonWriter
{
    public static void Write(Investigation investigation, Workload workload, IReadOnlyList<RuntimeEvent> runtimeEvents, DateTimeOffset now, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(investigation);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(runtimeEvents);
        using var json = new Utf8JsonWriter(output, OutputJson.Options);
        json.WriteStartObject();
        json.WriteString("kind", "investigation");
        OutputJson.WriteTime(json, "time", now);
        ContainerJsonWriter.WriteWorkload(json, workload.CgroupId, workload.CgroupPath, workload.Container, workload.Metadata);

        json.WriteStartArray("recent_runtime_events");
        foreach (RuntimeEvent runtimeEvent in runtimeEvents)
        {
            json.WriteStartObject();
            json.WriteString("kind", runtimeEvent.KindName);
            OutputJson.WriteTime(json, "time", runtimeEvent.Time);
            json.WriteString("command", runtimeEvent.Command);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("recent_alerts");
        foreach (Alert alert in investigation.RecentAlerts)
        {
            json.WriteStartObject();
            OutputJson.WriteTime(json, "time", alert.Time);
            json.WriteString("rule", alert.Rule);
            json.WriteString("priority", alert.Priority.ToString().ToLowerInvariant());
            json.WriteString("summary", alert.Summary);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("destinations");
        foreach ((DestinationSummary destination, IReadOnlyList<FlowState> flows) in investigation.Destinations)
        {
            json.WriteStartObject();
            json.WriteString("proto", destination.Protocol);
            json.WriteString("addr", destination.Address);
            json.WriteNumber("port", destination.Port);
            json.WriteNumber("tx_payload_bytes", destination.Tx.PayloadBytes);
            json.WriteNumber("rx_payload_bytes", destination.Rx.PayloadBytes);
            OutputJson.WriteTime(json, "last_seen", UnixTime.ToDateTimeOffset(destination.LastSeenUnixNs));
            json.WriteStartArray("flows");
            foreach (FlowState flow in flows)
            {
                json.WriteStartObject();
                AlertJsonWriter.WriteFlowFields(json, flow);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
