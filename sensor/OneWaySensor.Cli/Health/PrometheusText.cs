using System.Globalization;
using System.Text;

namespace OneWaySensor.Cli.Health;

/// <summary>The status in the Prometheus text exposition format (version 0.0.4).</summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Render(SensorStatus status)
    {
        var text = new StringBuilder(4096);
        foreach (MetricFamily family in status.Metrics)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {family.Name} {family.Help}\n");
            text.Append(CultureInfo.InvariantCulture, $"# TYPE {family.Name} {family.Type}\n");
            foreach (MetricSample sample in family.Samples)
            {
                text.Append(family.Name);
                if (sample.LabelName is not null)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{{{sample.LabelName}=\"{EscapeLabel(sample.LabelValue ?? string.Empty)}\"}}");
                }

                text.Append(' ').Append(sample.Value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>Label values are sensor-chosen (kinds, rules, reasons), escaped anyway as the format asks.</summary>
    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
