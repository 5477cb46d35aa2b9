using OneWaySensor.Detection.Scoring;

namespace OneWaySensor.Tests.Core.Scoring;

public sealed class RobustStatsTests
{
    [Theory]
    [InlineData(new[] { 1.0, 2, 3, 4, 5 }, 0.5, 3.0)]
    [InlineData(new[] { 1.0, 2, 3, 4 }, 0.5, 2.5)]
    [InlineData(new[] { 1.0, 2, 3, 4, 5 }, 0.25, 2.0)]
    [InlineData(new[] { 1.0, 2, 3, 4 }, 0.25, 1.75)]
    [InlineData(new[] { 7.0 }, 0.75, 7.0)]
    [InlineData(new[] { 1.0, 9 }, 1.0, 9.0)]
    public void Quantiles_interpolate_between_ranks(double[] sorted, double p, double expected)
    {
        Assert.Equal(expected, RobustStats.Quantile(sorted, p), 12);
    }

    [Theory]
    [InlineData(1, 5, 9, 0, 0.0)] // symmetric
    [InlineData(1, 2, 9, 0, 0.75)] // long right tail
    [InlineData(1, 8, 9, 0, -0.75)] // long left tail
    [InlineData(1, 1, 9, 0, 0.0)] // median on a quartile: unstable, taken as 0
    [InlineData(1, 9, 9, 0, 0.0)]
    [InlineData(9.5, 10, 11, 0.25, 0.0)] // spread 1.5 below a quarter of the median
    [InlineData(5, 10, 20, 0.25, 0.3333333333333333)]
    public void Bowley_skew(double q1, double q2, double q3, double minimumRelativeSpread, double expected)
    {
        Assert.Equal(expected, RobustStats.BowleySkew(q1, q2, q3, minimumRelativeSpread), 12);
    }

    [Fact]
    public void Median_absolute_deviation()
    {
        double[] values = [1, 1, 2, 2, 4, 6, 9];

        Assert.Equal(1.0, RobustStats.MedianAbsoluteDeviation(values, 2));
    }

    [Theory]
    [InlineData(new[] { 1.0, 2, 2, 3, 3, 3 }, 3.0)]
    [InlineData(new[] { 1.0, 1, 2, 2 }, 1.0)] // tie: the smallest
    [InlineData(new[] { 4.0, 5, 6 }, 4.0)]
    public void Mode(double[] sorted, double expected)
    {
        Assert.Equal(expected, RobustStats.Mode(sorted));
    }
}
