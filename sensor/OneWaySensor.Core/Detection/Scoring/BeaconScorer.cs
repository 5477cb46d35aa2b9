using System.Buffers;

namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// Scores how periodic a series of contacts to one destination is, after
/// RITA's beacon analysis (activecm/rita: pkg/beacon/analyzer.go in RITA 4,
/// analysis/beacons.go in RITA 5). Three sub-scores, each 0..1:
/// <list type="bullet">
/// <item><b>Timestamp</b>: the intervals between contacts must be symmetric
/// about their median (1 - |Bowley skew|) and tight (median absolute
/// deviation, MAD, relative to the median interval). RITA averages the two;
/// here they multiply, since random traffic is often symmetric (uniform
/// random gaps have no skew at all) and an average would give it half marks.
/// RITA 5 scores MAD as 1 - MAD/median; here that ratio is divided by
/// <see cref="IntervalMadTolerance"/> so exponential (Poisson) gaps, whose
/// MAD is about 0.7 of their median, score 0 rather than 0.3, while jitter
/// of ±10 % of the period costs about 0.1.</item>
/// <item><b>Size</b>: the per-contact byte counts, as RITA 4 scores them: the
/// mean of their symmetry, their tightness (1 - MAD/median, RITA 5's form,
/// scale-free where RITA 4 cut off at 32 bytes) and their smallness
/// (1 - mode / <see cref="SmallContactBytes"/>, RITA 4's 64 KiB). Unlike
/// RITA 5, which scores data-less contacts 0, a median of 0 bytes is
/// perfectly regular: repeated empty contacts (connects that carry nothing)
/// are a pattern this sensor looks for.</item>
/// <item><b>Coverage</b>: the contacts must span the observed window
/// (RITA 5's dataset coverage: first to last contact over the window; here
/// each contact also stands for the one interval after it, so a beacon
/// observed for exactly n periods covers 1) and fill it at the rate their
/// median interval implies (RITA 4's connection-count score, made relative:
/// contacts over (span / median interval + 1)). A burst of contacts then
/// silence fails the first; periodic bursts whose short in-burst gaps set
/// the median fail the second.</item>
/// </list>
/// The total is a weighted geometric mean (weights default ½, ¼, ¼), not
/// RITA's arithmetic one: RITA ranks a whole network's pairs for an analyst,
/// while this sensor alerts on one destination at a time, so a pattern must
/// be regular, sustained and consistent at once; a zero in any weighted
/// sub-score makes the total 0.
/// <para>
/// Allocation: sorting and medians need one scratch double per contact.
/// <see cref="Score(ReadOnlySpan{long}, ReadOnlySpan{ulong}, long, long)"/>
/// takes it from the stack up to <see cref="StackScratchLimit"/> contacts
/// (2 KiB) and rents it from <see cref="ArrayPool{T}.Shared"/> beyond, so a
/// call allocates nothing; callers that hold a buffer pass it to the
/// overload that takes one. The scorer is immutable and thread-safe.
/// </para>
/// </summary>
public sealed class BeaconScorer
{
    /// <summary>Contacts up to which the scratch space lives on the stack.</summary>
    public const int StackScratchLimit = 256;

    private const double NanosecondsPerSecond = 1e9;

    /// <summary>
    /// Fewer contacts than this score 0. At least 3 (two intervals); RITA
    /// asks for 4, three intervals, the least with distinct quartiles.
    /// Repeated timestamps count once for this test, as RITA drops zero
    /// intervals (simultaneous connections are one contact).
    /// </summary>
    public int MinimumContacts
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 3);
            field = value;
        }
    } = 4;

    /// <summary>Interval MAD, as a fraction of the median interval, at which the MAD part of the timestamp score reaches 0.</summary>
    public double IntervalMadTolerance
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = 0.5;

    /// <summary>Size MAD, as a fraction of the median size, at which the MAD part of the size score reaches 0.</summary>
    public double SizeMadTolerance
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = 1.0;

    /// <summary>
    /// Skew is ignored (taken as 0) when the interquartile range is below this
    /// fraction of the median. A tight distribution is beacon-like whatever
    /// its shape, and the Bowley skew of a few dozen values is mostly noise
    /// (its standard error is about 0.25 at 30 uniform values): at 0.25, the
    /// noise alone cost a beacon jittered by ±30 % about 0.06 of its median
    /// score; at 0.5 skew counts only where the spread is already wide.
    /// </summary>
    public double SkewMinimumRelativeSpread
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 0.5;

    /// <summary>A modal contact size of this many bytes or more scores 0 for smallness.</summary>
    public ulong SmallContactBytes
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfZero(value);
            field = value;
        }
    } = 65_535;

    public double TimestampWeight
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 0.5;

    public double SizeWeight
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 0.25;

    public double CoverageWeight
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 0.25;

    /// <summary>
    /// Scores contacts at <paramref name="timesNs"/> (Unix ns, ascending) that
    /// carried <paramref name="sizes"/> bytes each, observed from
    /// <paramref name="startNs"/> to <paramref name="endNs"/>. Allocates
    /// nothing (see the class remarks).
    /// </summary>
    public BeaconScore Score(ReadOnlySpan<long> timesNs, ReadOnlySpan<ulong> sizes, long startNs, long endNs)
    {
        if (timesNs.Length <= StackScratchLimit)
        {
            Span<double> scratch = stackalloc double[StackScratchLimit];
            return Score(timesNs, sizes, startNs, endNs, scratch);
        }

        double[] rented = ArrayPool<double>.Shared.Rent(timesNs.Length);
        try
        {
            return Score(timesNs, sizes, startNs, endNs, rented);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// As <see cref="Score(ReadOnlySpan{long}, ReadOnlySpan{ulong}, long, long)"/>,
    /// with the caller's <paramref name="scratch"/> of at least one double per
    /// contact, which it overwrites.
    /// </summary>
    public BeaconScore Score(ReadOnlySpan<long> timesNs, ReadOnlySpan<ulong> sizes, long startNs, long endNs, Span<double> scratch)
    {
        if (sizes.Length != timesNs.Length)
        {
            throw new ArgumentException($"{sizes.Length} sizes for {timesNs.Length} contacts", nameof(sizes));
        }

        if (scratch.Length < timesNs.Length)
        {
            throw new ArgumentException($"scratch holds {scratch.Length} values, {timesNs.Length} needed", nameof(scratch));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(endNs, startNs);
        double weights = TimestampWeight + SizeWeight + CoverageWeight;
        if (weights <= 0)
        {
            throw new InvalidOperationException("at least one beacon score weight must be above 0");
        }

        int contacts = timesNs.Length;
        if (contacts < MinimumContacts)
        {
            return BeaconScore.TooFew(contacts);
        }

        int intervals = 0;
        for (int i = 1; i < contacts; i++)
        {
            long gap = timesNs[i] - timesNs[i - 1];
            if (gap < 0)
            {
                throw new ArgumentException($"contact times must be ascending; contact {i} precedes contact {i - 1}", nameof(timesNs));
            }

            if (gap > 0)
            {
                scratch[intervals++] = gap / NanosecondsPerSecond;
            }
        }

        if (intervals + 1 < MinimumContacts)
        {
            return BeaconScore.TooFew(contacts);
        }

        Span<double> gaps = scratch[..intervals];
        gaps.Sort();
        double q1 = RobustStats.Quantile(gaps, 0.25);
        double median = RobustStats.Quantile(gaps, 0.5);
        double q3 = RobustStats.Quantile(gaps, 0.75);
        double skew = RobustStats.BowleySkew(q1, median, q3, SkewMinimumRelativeSpread);
        double mad = RobustStats.MedianAbsoluteDeviation(gaps, median);
        double timestampScore = (1 - Math.Abs(skew)) * Tightness(mad, median, IntervalMadTolerance);

        double coverageScore = Coverage(timesNs, intervals + 1, median, startNs, endNs);
        double sizeScore = SizeScore(sizes, scratch[..contacts]);

        double score = Math.Pow(timestampScore, TimestampWeight / weights)
            * Math.Pow(sizeScore, SizeWeight / weights)
            * Math.Pow(coverageScore, CoverageWeight / weights);
        return new BeaconScore(
            Math.Clamp(score, 0, 1),
            median,
            contacts,
            timestampScore,
            sizeScore,
            coverageScore,
            skew,
            mad);
    }

    /// <summary>1 for no dispersion, falling linearly to 0 when MAD / median reaches <paramref name="tolerance"/>.</summary>
    private static double Tightness(double mad, double median, double tolerance) =>
        Math.Clamp(1 - (mad / median / tolerance), 0, 1);

    /// <summary>Span coverage times fill (see the class remarks).</summary>
    private static double Coverage(ReadOnlySpan<long> timesNs, int distinctContacts, double medianSeconds, long startNs, long endNs)
    {
        double observed = (endNs - startNs) / NanosecondsPerSecond;
        if (observed <= 0)
        {
            return 0;
        }

        double active = (timesNs[^1] - timesNs[0]) / NanosecondsPerSecond;
        double span = Math.Min(1, (active + medianSeconds) / observed);
        double expected = (active / medianSeconds) + 1;
        double fill = Math.Min(1, distinctContacts / expected);
        return span * fill;
    }

    private double SizeScore(ReadOnlySpan<ulong> sizes, Span<double> values)
    {
        for (int i = 0; i < sizes.Length; i++)
        {
            values[i] = sizes[i];
        }

        values.Sort();
        double q1 = RobustStats.Quantile(values, 0.25);
        double median = RobustStats.Quantile(values, 0.5);
        double q3 = RobustStats.Quantile(values, 0.75);
        double skew = RobustStats.BowleySkew(q1, median, q3, SkewMinimumRelativeSpread);
        double mode = RobustStats.Mode(values);
        double mad = RobustStats.MedianAbsoluteDeviation(values, median);

        // a median of 0 bytes: at least half the contacts were empty, and MAD is 0
        double tightness = median > 0 ? Tightness(mad, median, SizeMadTolerance) : 1;
        double smallness = Math.Clamp(1 - (mode / SmallContactBytes), 0, 1);
        return ((1 - Math.Abs(skew)) + tightness + smallness) / 3;
    }
}
