using OneWaySensor.Detection.Baseline;

namespace OneWaySensor.Tests.Core.Baseline;

public class BaselineOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        var options = new BaselineOptions();
        Assert.Null(options.Validate());
        Assert.True(options.Enabled);
        Assert.Equal(3600, options.LearningSeconds);
        Assert.Equal(20, options.MinimumObservations);
        Assert.Equal(4096, options.MaxDestinationsPerImage);
    }

    [Theory]
    [InlineData("LearningSeconds", 0)]
    [InlineData("LearningSeconds", 31_536_001)]
    [InlineData("MinimumObservations", 0)]
    [InlineData("MinimumOneWaySeconds", -1)]
    [InlineData("MinimumOneWaySeconds", 86_401)]
    [InlineData("MaxDestinationsPerImage", 0)]
    [InlineData("MaxDestinationsPerImage", 1_000_001)]
    [InlineData("MaxPortsPerImage", 0)]
    [InlineData("MaxImages", 0)]
    [InlineData("SaveIntervalSeconds", 0)]
    public void A_bad_number_names_its_key_in_one_line(string key, int value)
    {
        var options = new BaselineOptions();
        typeof(BaselineOptions).GetProperty(key)!.SetValue(options, value);

        string? problem = options.Validate();

        Assert.NotNull(problem);
        Assert.StartsWith($"Detection:Baseline:{key}: ", problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_bad_share_names_its_key(double share)
    {
        var options = new BaselineOptions { CommonOneWayShare = share };
        Assert.StartsWith("Detection:Baseline:CommonOneWayShare: ", options.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_state_path_names_its_key()
    {
        var options = new OneWaySensor.Configuration.SensorOptions { StatePath = "a\0b" };
        Assert.StartsWith("Sensor:StatePath: ", options.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_state_path_keeps_baselines_and_alerts_in_memory_and_is_valid()
    {
        Assert.True(new OneWaySensor.Configuration.SensorOptions().Persisted);
        // what `--state ''` and `--set Sensor:StatePath=` give
        Assert.Null(new OneWaySensor.Configuration.SensorOptions { StatePath = string.Empty }.Validate());
        Assert.False(new OneWaySensor.Configuration.SensorOptions { StatePath = string.Empty }.Persisted);
    }

    [Fact]
    public void An_undefined_match_is_refused()
    {
        var options = new BaselineOptions { Match = (BaselineMatch)7 };
        Assert.StartsWith("Detection:Baseline:Match: ", options.Validate(), StringComparison.Ordinal);
    }
}
