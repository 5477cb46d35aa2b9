using OneWaySensor.Cli.Logging;
using OneWaySensor.Tests.Containers.Engine;

namespace OneWaySensor.Tests.Cli;

/// <summary>A growing count is said at once, then at most once an interval, and never when it did not grow.</summary>
public sealed class ReportThrottleTests
{
    [Fact]
    public void The_first_growth_is_said_at_once_and_the_rest_once_an_interval()
    {
        var time = new ManualTimeProvider();
        var throttle = new ReportThrottle(TimeSpan.FromMinutes(1), time);

        Assert.False(throttle.ShouldReport(0));
        Assert.True(throttle.ShouldReport(1));
        Assert.False(throttle.ShouldReport(50));
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(throttle.ShouldReport(900));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(throttle.ShouldReport(901));
    }

    [Fact]
    public void A_count_that_stopped_growing_is_not_said_again()
    {
        var time = new ManualTimeProvider();
        var throttle = new ReportThrottle(TimeSpan.FromMinutes(1), time);

        Assert.True(throttle.ShouldReport(7));
        time.Advance(TimeSpan.FromHours(1));
        Assert.False(throttle.ShouldReport(7));
        Assert.True(throttle.ShouldReport(8));
    }
}
