namespace OneWaySensor.Cli.Logging;

/// <summary>
/// When a growing count (records lost, packets not attributed) deserves
/// another log line: the first time it grows, then at most once per
/// <paramref name="interval"/> while it keeps growing. A loss that lasts an
/// hour is then a line a minute, not a line a poll; the metrics carry every
/// increment. Used from one thread.
/// </summary>
internal sealed class ReportThrottle(TimeSpan interval, TimeProvider? time = null)
{
    /// <summary>How often a count that keeps growing is said again.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private ulong said;
    private long saidAt;
    private bool saidOnce;

    public ReportThrottle()
        : this(DefaultInterval)
    {
    }

    /// <summary>True when <paramref name="total"/> grew past what was last said and a line is due; it is then taken as said.</summary>
    public bool ShouldReport(ulong total)
    {
        if (total <= said || (saidOnce && clock.GetElapsedTime(saidAt) < interval))
        {
            return false;
        }

        said = total;
        saidAt = clock.GetTimestamp();
        saidOnce = true;
        return true;
    }
}
