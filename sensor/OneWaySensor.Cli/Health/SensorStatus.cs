namespace OneWaySensor.Cli.Health;

/// <summary>One value of a metric, with at most one label (kind, rule, reason, sink).</summary>
internal readonly record struct MetricSample(double Value, string? LabelName = null, string? LabelValue = null);

/// <summary>A metric as Prometheus names it: "counter" or "gauge", with its help text and samples.</summary>
internal sealed record MetricFamily(string Name, string Type, string Help, IReadOnlyList<MetricSample> Samples)
{
    public double Sum => Samples.Sum(sample => sample.Value);
}

/// <summary>
/// Everything the sensor says about its own health at one moment. The
/// metrics endpoint, `onewaysensor status` and the health records on the
/// output stream all render this one snapshot, so they never disagree.
/// </summary>
internal sealed record SensorStatus(DateTimeOffset Time, IReadOnlyList<MetricFamily> Metrics)
{
    public const string Prefix = "onewaysensor_";

    public double Value(string name) => Metrics.FirstOrDefault(family => family.Name == Prefix + name)?.Sum ?? 0;
}

/// <summary>A health record on the output stream: the status at one moment.</summary>
internal sealed record HealthRecord(SensorStatus Status);
