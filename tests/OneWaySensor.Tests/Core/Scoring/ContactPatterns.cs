namespace OneWaySensor.Tests.Core.Scoring;

/// <summary>Synthetic contact series, beacons and near-misses, reproducible from a seed.</summary>
internal static class ContactPatterns
{
    public const long Second = 1_000_000_000;

    /// <summary>An arbitrary Unix time in ns where every series starts.</summary>
    public const long Start = 1_700_000_000 * Second;

    public static long At(double seconds) => Start + (long)Math.Round(seconds * Second);

    /// <summary>A contact every <paramref name="period"/> s, to the nanosecond.</summary>
    public static long[] Strict(int contacts, double period) =>
        Enumerable.Range(0, contacts).Select(i => At(i * period)).ToArray();

    /// <summary>A beacon that sleeps <paramref name="period"/> ± <paramref name="jitter"/> s (uniform) between contacts, as implants jitter their sleep.</summary>
    public static long[] JitteredSleep(int contacts, double period, double jitter, int seed)
    {
        var random = new Random(seed);
        var times = new long[contacts];
        double t = 0;
        for (int i = 0; i < contacts; i++)
        {
            times[i] = At(t);
            t += period + (((random.NextDouble() * 2) - 1) * jitter);
        }

        return times;
    }

    /// <summary>A beacon scheduled on a fixed grid, each contact ± <paramref name="jitter"/> s off its slot (as cron plus network delay).</summary>
    public static long[] JitteredGrid(int contacts, double period, double jitter, int seed)
    {
        var random = new Random(seed);
        long[] times = Enumerable.Range(0, contacts)
            .Select(i => At(jitter + (i * period) + (((random.NextDouble() * 2) - 1) * jitter)))
            .ToArray();
        Array.Sort(times);
        return times;
    }

    /// <summary>Exponential gaps of mean <paramref name="mean"/> s: a Poisson process, the shape of human or event-driven traffic.</summary>
    public static long[] Poisson(int contacts, double mean, int seed)
    {
        var random = new Random(seed);
        var times = new long[contacts];
        double t = 0;
        for (int i = 0; i < contacts; i++)
        {
            times[i] = At(t);
            t += -Math.Log(1 - random.NextDouble()) * mean;
        }

        return times;
    }

    /// <summary>Gaps uniform on 0..2·<paramref name="mean"/> s: no skew at all, no period either.</summary>
    public static long[] UniformGaps(int contacts, double mean, int seed)
    {
        var random = new Random(seed);
        var times = new long[contacts];
        double t = 0;
        for (int i = 0; i < contacts; i++)
        {
            times[i] = At(t);
            t += random.NextDouble() * 2 * mean;
        }

        return times;
    }

    /// <summary><paramref name="contacts"/> contacts <paramref name="gap"/> s apart, then nothing: a burst.</summary>
    public static long[] Burst(int contacts, double gap) => Strict(contacts, gap);

    /// <summary>Every <paramref name="period"/> s, a burst of <paramref name="perBurst"/> contacts <paramref name="gap"/> s apart.</summary>
    public static long[] PeriodicBursts(int bursts, int perBurst, double period, double gap) =>
        Enumerable.Range(0, bursts)
            .SelectMany(b => Enumerable.Range(0, perBurst).Select(c => At((b * period) + (c * gap))))
            .ToArray();

    /// <summary>Groups of 1 to 5 contacts 0.5 s apart, the groups a Poisson process of mean gap <paramref name="mean"/> s.</summary>
    public static long[] Clustered(int contacts, double mean, int seed)
    {
        var random = new Random(seed);
        var times = new List<long>(contacts);
        double t = 0;
        while (times.Count < contacts)
        {
            int group = random.Next(1, 6);
            for (int i = 0; i < group && times.Count < contacts; i++)
            {
                times.Add(At(t + (i * 0.5)));
            }

            t += (group * 0.5) + (-Math.Log(1 - random.NextDouble()) * mean);
        }

        return [.. times];
    }

    public static ulong[] Sizes(int contacts, ulong bytes) => Enumerable.Repeat(bytes, contacts).ToArray();

    /// <summary>Sizes uniform on <paramref name="min"/>..<paramref name="max"/> bytes.</summary>
    public static ulong[] RandomSizes(int contacts, ulong min, ulong max, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, contacts).Select(_ => (ulong)random.NextInt64((long)min, (long)max + 1)).ToArray();
    }
}
