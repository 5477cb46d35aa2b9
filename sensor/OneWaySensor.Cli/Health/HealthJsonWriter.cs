using System.Buffers;
using System.Text.Json;
using OneWaySensor.Output;

namespace OneWaySensor.Cli.Health;

/// <summary>
/// The status as JSON: {"kind": "health", "time", the headline losses, and
/// "metrics": {name: value, or {label: value}}}, names without the
/// "onewaysensor_" prefix. The health record and the control socket's
/// `status` answer are this one form.
/// </summary>
internal static class HealthJsonWriter
{
    public static void Write(HealthRecord health, IBufferWriter<byte> output) => Write(health.Status, output);

    public static void Write(SensorStatus status, IBufferWriter<byte> output)
    {
        Utf8JsonWriter json = OutputJson.Begin(output);
        json.WriteStartObject();
        json.WriteString("kind", "health");
        OutputJson.WriteTime(json, "time", status.Time);
        json.WriteNumber("kernel_records_lost", status.Value("kernel_records_lost_total"));
        json.WriteNumber("sink_records_lost", status.Value("sink_records_lost_total") + status.Value("output_queue_dropped_total"));
        json.WriteNumber("flows_tracked", status.Value("flows_tracked"));
        json.WriteStartObject("metrics");
        foreach (MetricFamily family in status.Metrics)
        {
            string name = family.Name[SensorStatus.Prefix.Length..];
            if (family.Samples.Count == 1 && family.Samples[0].LabelName is null)
            {
                json.WriteNumber(name, family.Samples[0].Value);
                continue;
            }

            json.WriteStartObject(name);
            foreach (MetricSample sample in family.Samples)
            {
                json.WriteNumber(sample.LabelValue ?? string.Empty, sample.Value);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
    }

    public static string ToJson(SensorStatus status)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        Write(status, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
