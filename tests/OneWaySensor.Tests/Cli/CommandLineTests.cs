using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Cli;

/// <summary>The shipped binary's answers to bad command lines: one line on stderr and exit code 2.</summary>
public sealed class CommandLineTests
{
    [SkippableTheory]
    [InlineData(new[] { "run", "--bogus" }, "--bogus")]
    [InlineData(new[] { "run", "--window", "0" }, "--window must be between 1 and 86400, got 0")]
    [InlineData(new[] { "run", "--window", "soon" }, "--window")]
    [InlineData(new[] { "run", "--poll-interval", "1" }, "--poll-interval")]
    [InlineData(new[] { "run", "--alerts", "" }, "Sensor:AlertsFile")]
    [InlineData(new[] { "run", "--interface", " " }, "Sensor:CaptureInterface")]
    [InlineData(new[] { "run", "--set", "Sensor:ControlSocket=control.sock" }, "Sensor:ControlSocket")]
    [InlineData(new[] { "run", "--set", "Detection:Beacon:ScoreThreshold=NaN" }, "Detection:Beacon:ScoreThreshold")]
    [InlineData(new[] { "run", "--set", "Detection:Allowlist:0:Imag=x" }, "Detection:Allowlist:0:Imag: unknown key")]
    [InlineData(new[] { "run", "--config", "/nonexistent/ows.json" }, "not found")]
    [InlineData(new[] { "run", "--engine-socket", "/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock" }, "--engine-socket must be at most 107 bytes")]
    [InlineData(new[] { "status", "--control-socket", "/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock" }, "--control-socket must be at most 107 bytes")]
    [InlineData(new[] { "tail", "unix:/run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock" }, "at most 107 bytes")]
    [InlineData(new[] { "alerts", "--rule", "one-way" }, "one-way")]
    [InlineData(new[] { "launch" }, "launch")]
    [InlineData(new string[0], "command")]
    public void Bad_arguments_get_one_line_and_exit_code_2(string[] arguments, string named)
    {
        ProcessResult result = RunSensor(arguments);

        Assert.Equal(2, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("onewaysensor: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [SkippableFact]
    public void A_bad_config_file_gets_one_line_and_exit_code_2()
    {
        string file = Path.Combine(Path.GetTempPath(), $"ows-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "Sensor": { "Window": 3 } }""");
        try
        {
            ProcessResult result = RunSensor(["run", "--config", file]);
            Assert.Equal(2, result.ExitCode);
            string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("Window", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public void Help_and_version_answer_and_exit_0()
    {
        ProcessResult help = RunSensor(["run", "--help"]);
        Assert.Equal(0, help.ExitCode);
        foreach (string option in new[] { "--config", "--alerts", "--window", "--duration" })
        {
            Assert.Contains(option, help.Stdout, StringComparison.Ordinal);
        }

        ProcessResult version = RunSensor(["--version"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Stdout.Trim());
    }

    private static ProcessResult RunSensor(string[] arguments)
    {
        Requirements.Built();
        return ProcessRunner.Run(RepoPaths.SensorBinary, arguments);
    }
}
