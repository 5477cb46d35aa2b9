using System.Buffers;
using System.Text.Json;
using OneWaySensor.Detection;
using OneWaySensor.Flows;
using OneWaySensor.Output;

namespace OneWaySensor.Cli.Top;

/// <summary>
/// The control socket's `top` answer, built on the source's thread: one row
/// per cgroup with traffic, {"time", "rows": [{"cgroup", "name", "workload",
/// "tx_bytes", "tx_packets", "rx_bytes", "rx_packets", "flows",
/// "one_way_flows", "alerts"}]}. Bytes are IP bytes; one-way flows are the
/// tracked flows that sent and never received.
/// </summary>
internal static class TopRows
{
    public static string Write(FlowTable table, IWorkloadDirectory workloads, AlertTally alerts, DateTimeOffset now)
    {
        var oneWay = new Dictionary<ulong, int>();
        foreach (FlowState flow in table.Flows)
        {
            if (flow.Tx.Packets > 0 && flow.Rx.Packets == 0)
            {
                oneWay[flow.Key.CgroupId] = oneWay.GetValueOrDefault(flow.Key.CgroupId) + 1;
            }
        }

        var buffer = new ArrayBufferWriter<byte>(8192);
        using (var json = new Utf8JsonWriter(buffer, OutputJson.Options))
        {
            json.WriteStartObject();
            OutputJson.WriteTime(json, "time", now);
            json.WriteStartArray("rows");
            foreach ((ulong cgroupId, CgroupTotals totals) in table.Cgroups)
            {
                Workload workload = workloads.Describe(cgroupId);
                json.WriteStartObject();
                json.WriteNumber("cgroup", cgroupId);
                json.WriteString("name", workload.Metadata?.Name?.TrimStart('/') ?? ShortName(workload));
                json.WriteString("workload", workload.Container is null ? "host" : workload.Container.RuntimeName);
                json.WriteNumber("tx_bytes", totals.Tx.IpBytes);
                json.WriteNumber("tx_packets", totals.Tx.Packets);
                json.WriteNumber("rx_bytes", totals.Rx.IpBytes);
                json.WriteNumber("rx_packets", totals.Rx.Packets);
                json.WriteNumber("flows", totals.Flows);
                json.WriteNumber("one_way_flows", oneWay.GetValueOrDefault(cgroupId));
                json.WriteNumber("alerts", alerts.Active(cgroupId, now));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string ShortName(Workload workload)
    {
        if (workload.Container is { } container)
        {
            return container.Id.Length > 12 ? container.Id[..12] : container.Id;
        }

        return workload.CgroupPath ?? $"cgroup {workload.CgroupId}";
    }
}
