namespace OneWaySensor.Linux.Kernel;

/// <summary>
/// Converts the kernel's monotonic timestamps (bpf_ktime_get_coarse_ns and
/// bpf_ktime_get_ns share one base) to
/// nanoseconds since the Unix epoch, with an offset taken once at start.
/// </summary>
internal readonly struct MonotonicClock(long offsetNs)
{
    public long OffsetNs { get; } = offsetNs;

    public long ToUnixNs(ulong monotonicNs) => (long)monotonicNs + OffsetNs;

    public static MonotonicClock FromNow(ulong monotonicNowNs, long unixNowNs) =>
        new(unixNowNs - (long)monotonicNowNs);
}
