using OneWaySensor.Cli;
using OneWaySensor.Configuration;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Cli;

public sealed class ConfigurationTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ows-config-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Defaults_are_valid()
    {
        var options = new SensorOptions();
        Assert.Null(options.Validate());
        Assert.Equal(60, options.WindowSeconds);
        Assert.Equal(120, options.EffectiveIdleTimeoutSeconds);
    }

    [Fact]
    public void A_config_file_sets_values_and_the_command_line_wins()
    {
        FileInfo file = Write("""{ "Sensor": { "WindowSeconds": 30, "FlowMapEntries": 4096, "AlertsFile": "/tmp/a.jsonl" } }""");
        SensorOptions options = ConfigFile.Load(file).Sensor;
        new CommandLineOverrides(null, WindowSeconds: 5, null, null, null).ApplyTo(options);

        Assert.Equal(5, options.WindowSeconds);
        Assert.Equal(4096, options.FlowMapEntries);
        Assert.Equal("/tmp/a.jsonl", options.AlertsFile);
    }

    [Theory]
    [InlineData("""{ "Sensor": { "WindowSecs": 30 } }""", "WindowSecs")]
    [InlineData("""{ "Sensor": { "WindowSeconds": "soon" } }""", "Sensor:WindowSeconds")]
    [InlineData("""{ "Sensr": { } }""", "Sensr")]
    [InlineData("""{ "Sensor": { "WindowSeconds": 30 """, "config file")]
    public void A_bad_file_names_the_key_and_the_problem_in_one_line(string json, string named)
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigFile.Load(Write(json)));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void The_detection_section_binds_and_set_overrides_any_key()
    {
        FileInfo file = Write("""{ "Detection": { "UnansweredConnect": { "Attempts": 4 }, "Allowlist": [ { "Image": "fluent/*", "Rules": [ "beacon" ] } ] } }""");
        SensorConfiguration configuration = ConfigFile.Load(file, ["Detection:UnansweredConnect:Attempts=7", "Sensor:WindowSeconds=9"]);

        Assert.Equal(7, configuration.Detection.UnansweredConnect.Attempts);
        Assert.Equal(9, configuration.Sensor.WindowSeconds);
        Assert.Equal("fluent/*", Assert.Single(configuration.Detection.Allowlist).Image);
        Assert.Null(configuration.Detection.Validate());
    }

    [Fact]
    public void The_shipped_sample_config_is_valid()
    {
        string sample = Path.Combine(RepoPaths.Out, "..", "sensor", "onewaysensor.sample.json");
        SensorConfiguration configuration = ConfigFile.Load(new FileInfo(sample));
        Assert.Null(configuration.Sensor.Validate());
        Assert.Null(configuration.Detection.Validate());
        Assert.NotEmpty(configuration.Detection.Allowlist);
    }

    [Theory]
    [InlineData("""{ "Detection": { "Beacon": { "ScoreThreshold": 2 } } }""", "Detection:Beacon:ScoreThreshold")]
    [InlineData("""{ "Detection": { "Allowlist": [ { } ] } }""", "Detection:Allowlist:0")]
    [InlineData("""{ "Detection": { "Allowlist": [ { "RemoteCidr": "10.0.0.0/99" } ] } }""", "RemoteCidr")]
    [InlineData("""{ "Detection": { "Allowlist": [ { "Image": "x", "Rules": [ "nope" ] } ] } }""", "unknown rule 'nope'")]
    [InlineData("""{ "Detection": { "MaintenanceWindows": [ { "Start": "2026-01-02T00:00:00Z", "End": "2026-01-01T00:00:00Z" } ] } }""", "MaintenanceWindows:0")]
    [InlineData("""{ "Detection": { "MaintenanceWindows": [ { "Start": "2026-01-01T00:00:00Z", "End": "2026-01-02T00:00:00Z", "Action": "ignore" } ] } }""", "Action")]
    public void Bad_detection_values_are_named(string json, string named)
    {
        SensorConfiguration configuration = ConfigFile.Load(Write(json));
        string? problem = configuration.Detection.Validate();
        Assert.NotNull(problem);
        Assert.Contains(named, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_set_without_an_equals_sign_is_named()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigFile.Load(null, ["Detection:Beacon"]));
        Assert.Contains("--set Detection:Beacon: expected KEY=VALUE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        ConfigException error = Assert.Throws<ConfigException>(() => ConfigFile.Load(new FileInfo(Path.Combine(directory, "nope.json"))));
        Assert.Contains("nope.json: not found", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(SensorOptions.WindowSeconds), 0)]
    [InlineData(nameof(SensorOptions.PollIntervalMilliseconds), 10)]
    [InlineData(nameof(SensorOptions.FlowMapEntries), 10)]
    [InlineData(nameof(SensorOptions.RingBufferBytes), 10000)]
    [InlineData(nameof(SensorOptions.MaxTrackedFlows), 65535)] // below the flow map: flows the kernel holds are never forgotten for the limit
    public void Out_of_range_values_are_named(string key, int value)
    {
        var options = new SensorOptions();
        typeof(SensorOptions).GetProperty(key)!.SetValue(options, value);
        Assert.StartsWith($"Sensor:{key}:", options.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_tracked_flow_limit_defaults_to_twice_the_flow_map()
    {
        var options = new SensorOptions { FlowMapEntries = 262144 };
        Assert.Equal(524288, options.EffectiveMaxTrackedFlows);
        options.MaxTrackedFlows = 300000;
        Assert.Null(options.Validate());
        Assert.Equal(300000, options.EffectiveMaxTrackedFlows);
    }

    private FileInfo Write(string json)
    {
        string path = Path.Combine(directory, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return new FileInfo(path);
    }
}
