using System.Text.Json;

namespace OneWaySensor.Cli.Output;

/// <summary>
/// One record as a line a person reads at a terminal: the time, the kind,
/// and the few fields that say what happened. Names and commands come from
/// whoever runs a container, so the line goes through <see cref="TerminalText"/>.
/// </summary>
internal static class ReadableLine
{
    public static string Format(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException)
        {
            // not a record (a damaged row of the state file): shown as it is, escaped, rather than failing the listing
            return TerminalText.Escape(System.Text.Encoding.UTF8.GetString(json));
        }

        using (document)
        {
            return Format(document.RootElement);
        }
    }

    private static string Format(JsonElement record)
    {
        string kind = Text(record, "kind") ?? "record";
        string time = Text(record, "time") is string stamp && stamp.Length >= 19 ? stamp[11..19] : "--:--:--";
        string details = kind switch
        {
            "alert" => $"{Text(record, "priority")?.ToUpperInvariant()} {Text(record, "rule")} {Workload(record)}: {Text(record, "summary")}",
            "flow_summary" => $"{Workload(record)} {Remote(record)} flows {Number(record, "flows")} tx {Number(record, "tx_ip_bytes")} B/{Number(record, "tx_packets")} pkts rx {Number(record, "rx_ip_bytes")} B/{Number(record, "rx_packets")} pkts",
            "health" => Health(record),
            "isolation" => $"{Workload(record)} {Text(record, "action")}",
            _ when kind.StartsWith("process_", StringComparison.Ordinal) => $"{Workload(record)} {Process(record)}",
            _ when kind.StartsWith("container_", StringComparison.Ordinal) || kind.StartsWith("exec_", StringComparison.Ordinal) || kind.StartsWith("network_", StringComparison.Ordinal) => $"{Container(record)}{(Text(record, "command") is string command ? $" {command}" : string.Empty)}",
            _ => record.GetRawText(),
        };
        return TerminalText.Escape($"{time} {kind,-18} {details}");
    }

    private static string Workload(JsonElement record) =>
        record.TryGetProperty("container", out JsonElement container) && container.ValueKind == JsonValueKind.Object
            ? Container(record)
            : record.TryGetProperty("cgroup", out JsonElement cgroup) && cgroup.ValueKind == JsonValueKind.Object ? $"host {Text(cgroup, "path")}" : "host";

    private static string Container(JsonElement record)
    {
        if (!record.TryGetProperty("container", out JsonElement container) || container.ValueKind != JsonValueKind.Object)
        {
            return "?";
        }

        string id = Text(container, "id") ?? "?";
        return Text(container, "name") ?? (id.Length > 12 ? id[..12] : id);
    }

    private static string Remote(JsonElement record) =>
        record.TryGetProperty("remote", out JsonElement remote) ? $"{Text(remote, "proto")} {Text(remote, "addr")}:{Number(remote, "port")}" : "?";

    private static string Process(JsonElement record) =>
        record.TryGetProperty("process", out JsonElement process)
            ? $"pid {Number(process, "pid")} {Text(process, "comm")} {Text(process, "exe")}".TrimEnd()
            : string.Empty;

    private static string Health(JsonElement record)
    {
        if (Text(record, "scope") is "export_client")
        {
            return $"this export client missed {Number(record, "missed")} records";
        }

        return $"lost kernel records {Number(record, "kernel_records_lost")}, sink drops {Number(record, "sink_records_lost")}, flows {Number(record, "flows_tracked")}";
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetRawText() : "?";
}
