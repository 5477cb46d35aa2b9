namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// How much a destination's contacts look like a beacon, and the evidence an
/// alert shows for it. All scores are 0..1, higher meaning more beacon-like.
/// When there were too few contacts to judge, everything but
/// <see cref="Contacts"/> is 0.
/// </summary>
/// <param name="Score">The combined score (see <see cref="BeaconScorer"/>).</param>
/// <param name="IntervalSeconds">The median interval between contacts: the beacon's period.</param>
/// <param name="Contacts">Contacts scored.</param>
/// <param name="TimestampScore">Regularity of the intervals: Bowley skew and median absolute deviation.</param>
/// <param name="SizeScore">Regularity and smallness of the per-contact byte counts: skew, median absolute deviation and mode.</param>
/// <param name="CoverageScore">How much of the observed span the contacts fill, at the rate their interval implies.</param>
/// <param name="IntervalSkew">Bowley skewness of the intervals, -1..1; 0 is symmetric.</param>
/// <param name="IntervalMadSeconds">Median absolute deviation of the intervals: the jitter.</param>
public readonly record struct BeaconScore(
    double Score,
    double IntervalSeconds,
    int Contacts,
    double TimestampScore,
    double SizeScore,
    double CoverageScore,
    double IntervalSkew,
    double IntervalMadSeconds)
{
    /// <summary>The result for a series too short to judge.</summary>
    public static BeaconScore TooFew(int contacts) => new(0, 0, contacts, 0, 0, 0, 0, 0);
}
