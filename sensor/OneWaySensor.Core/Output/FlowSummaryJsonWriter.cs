using System.Buffers;
using System.Text.Json;
using OneWaySensor.Alerts;
using OneWaySensor.Containers;
using OneWaySensor.Flows;

namespace OneWaySensor.Output;

/// <summary>
/// A periodic flow summary as one JSON line: {"kind": "flow_summary", the
/// workload, the remote endpoint, and the traffic of the interval}. Counts
/// are of the interval only, so a consumer may add them up.
/// </summary>
public static class FlowSummaryJsonWriter
{
    public static void Write(FlowSummary summary, string? cgroupPath, ContainerIdentity? container, ContainerMetadata? metadata, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(summary);
        Utf8JsonWriter json = OutputJson.Begin(output);
        json.WriteStartObject();
        json.WriteString("kind", "flow_summary");
        OutputJson.WriteTime(json, "time", UnixTime.ToDateTimeOffset(summary.IntervalEndUnixNs));
        OutputJson.WriteTime(json, "interval_start", UnixTime.ToDateTimeOffset(summary.IntervalStartUnixNs));
        ContainerJsonWriter.WriteWorkload(json, summary.CgroupId, cgroupPath, container, metadata);
        json.WriteStartObject("remote");
        json.WriteString("proto", AlertJsonWriter.ProtocolName(summary.Protocol));
        json.WriteString("addr", FlowAddress.ToIPAddress(summary.RemoteAddress, summary.IpVersion).ToString());
        json.WriteNumber("port", summary.RemotePort);
        json.WriteEndObject();
        json.WriteNumber("flows", summary.Flows);
        AlertJsonWriter.WriteTraffic(json, summary.Tx, summary.Rx, summary.FirstSeenUnixNs, summary.LastSeenUnixNs);
        json.WriteEndObject();
        json.Flush();
    }
}
