namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// The order statistics beacon scoring needs, computed in place on spans so
/// that scoring allocates nothing. Robust statistics (quartiles, median,
/// median absolute deviation) rather than mean and variance, as RITA uses:
/// one missed or doubled contact must not swamp a beacon's regularity.
/// </summary>
internal static class RobustStats
{
    /// <summary>
    /// The <paramref name="p"/>-quantile of ascending <paramref name="sorted"/>,
    /// interpolating linearly between the two nearest ranks (Hyndman and Fan's
    /// type 7, the default of R and NumPy). RITA's first beacon analysis took
    /// the nearest rank instead; interpolation keeps a small sample's quartiles
    /// from jumping a whole interval when one contact moves.
    /// </summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty)
        {
            throw new ArgumentException("no values", nameof(sorted));
        }

        double rank = p * (sorted.Length - 1);
        int below = (int)Math.Floor(rank);
        int above = Math.Min(below + 1, sorted.Length - 1);
        double fraction = rank - below;
        return sorted[below] + ((sorted[above] - sorted[below]) * fraction);
    }

    /// <summary>
    /// Bowley's (quartile) skewness, (Q1 + Q3 - 2·Q2) / (Q3 - Q1), in -1..1:
    /// a beacon's intervals and sizes scatter symmetrically about their median.
    /// As RITA, 0 when the median sits on a quartile (the measure is unstable
    /// there) and when the spread is too small to matter. RITA's floor is an
    /// absolute 10 (seconds or bytes); this one is relative,
    /// <paramref name="minimumRelativeSpread"/> × Q2, so that a 10 s beacon's
    /// 1 s jitter counts the same as a 10 min beacon's 1 min jitter.
    /// </summary>
    public static double BowleySkew(double q1, double q2, double q3, double minimumRelativeSpread)
    {
        double spread = q3 - q1;
        if (spread <= 0 || spread < minimumRelativeSpread * q2 || q2 == q1 || q2 == q3)
        {
            return 0;
        }

        return Math.Clamp((q1 + q3 - (2 * q2)) / spread, -1, 1);
    }

    /// <summary>
    /// The median absolute deviation about <paramref name="median"/>. Overwrites
    /// <paramref name="values"/> with the deviations (and sorts them): callers
    /// take their quartiles first.
    /// </summary>
    public static double MedianAbsoluteDeviation(Span<double> values, double median)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Math.Abs(values[i] - median);
        }

        values.Sort();
        return Quantile(values, 0.5);
    }

    /// <summary>
    /// The most frequent value of ascending <paramref name="sorted"/>; on a tie
    /// the smallest, as RITA's count map picks the first it meets.
    /// </summary>
    public static double Mode(ReadOnlySpan<double> sorted)
    {
        if (sorted.IsEmpty)
        {
            throw new ArgumentException("no values", nameof(sorted));
        }

        double mode = sorted[0];
        int best = 0;
        int run = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            run = i > 0 && sorted[i] == sorted[i - 1] ? run + 1 : 1;
            if (run > best)
            {
                best = run;
                mode = sorted[i];
            }
        }

        return mode;
    }
}
