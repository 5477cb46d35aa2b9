namespace OneWaySensor.Flows;

/// <summary>Nanoseconds since the Unix epoch: the one time scale of the flow model.</summary>
public static class UnixTime
{
    public static DateTimeOffset ToDateTimeOffset(long unixNs) =>
        DateTimeOffset.UnixEpoch.AddTicks(unixNs / 100);

    public static long FromDateTimeOffset(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    public const long NanosecondsPerSecond = 1_000_000_000;
}
