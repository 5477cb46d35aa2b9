using System.Text.Json;
using OneWaySensor.State;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Cli;

/// <summary>`config check`, the environment layer, and `alerts`, through the shipped binary (no root needed).</summary>
public sealed class OperationsCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("ows-ops-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Config_check_passes_the_shipped_sample_and_the_deployment_config()
    {
        Requirements.Built();
        foreach (string file in new[] { Path.Combine(RepoPaths.Out, "..", "sensor", "onewaysensor.sample.json"), Path.Combine(RepoPaths.Out, "..", "deploy", "systemd", "onewaysensor.json") })
        {
            ProcessResult result = Sensor("config", "check", file);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.EndsWith(": ok\n", result.Stdout, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{ "Sensor": { "WindowSeconds": "soon" } }""", "Sensor:WindowSeconds")]
    [InlineData("""{ "Sensor": { "Export": { "Sockett": "/run/x.sock" } } }""", "Sockett")]
    [InlineData("""{ "Sensor": { "Export": { "Socket": "relative.sock" } } }""", "Sensor:Export:Socket: must be an absolute path")]
    [InlineData("""{ "Sensor": { "Export": { "ClientBufferBytes": 10 } } }""", "Sensor:Export:ClientBufferBytes: must be between")]
    [InlineData("""{ "Sensor": { "Metrics": "0.0.0.0:9477" } }""", "Sensor:Metrics: must be a loopback address")]
    [InlineData("""{ "Sensor": { "Metrics": "localhost" } }""", "Sensor:Metrics: must be ADDRESS:PORT")]
    [InlineData("""{ "Sensor": { "FileKeep": 0 } }""", "Sensor:FileKeep")]
    [InlineData("""{ "Detection": { "Beacon": { "ScoreThreshold": 2 } } }""", "Detection:Beacon:ScoreThreshold")]
    [InlineData("""{ "Sensor": { """, "not valid JSON")]
    public void Config_check_refuses_a_bad_file_with_one_line_naming_the_key(string json, string named)
    {
        Requirements.Built();
        string file = Path.Combine(folder, "bad.json");
        File.WriteAllText(file, json);
        ProcessResult result = Sensor("config", "check", file);
        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Stdout);
        string line = Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("onewaysensor: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_variables_sit_between_the_file_and_the_command_line()
    {
        Requirements.Built();
        string file = Path.Combine(folder, "good.json");
        File.WriteAllText(file, """{ "Sensor": { "WindowSeconds": 30 } }""");
        Assert.Equal(0, Sensor(["config", "check", file], new() { ["ONEWAYSENSOR_Sensor__WindowSeconds"] = "45" }).ExitCode);

        ProcessResult bad = Sensor(["config", "check", file], new() { ["ONEWAYSENSOR_Sensor__WindowSeconds"] = "0" });
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("Sensor:WindowSeconds: must be between 1 and 86400, got 0", bad.Stderr, StringComparison.Ordinal);

        ProcessResult unknown = Sensor(["config", "check", file], new() { ["ONEWAYSENSOR_Sensr__WindowSeconds"] = "5" });
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown section 'Sensr'", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Alerts_lists_the_history_filtered_by_time_container_and_rule()
    {
        Requirements.Built();
        string state = Path.Combine(folder, "state.db");
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using (SqliteAlertHistory history = SqliteAlertHistory.OpenForAppend(state))
        {
            history.Append(now.AddHours(-3), "beacon", "/old-web", "aaaa1111", """{"seq":1,"kind":"alert","rule":"beacon"}""");
            history.Append(now.AddMinutes(-30), "one_way_flow", "/web", "bbbb2222cccc", """{"seq":2,"kind":"alert","rule":"one_way_flow"}""");
            history.Append(now.AddMinutes(-10), "unanswered_connect", null, null, """{"seq":3,"kind":"alert","rule":"unanswered_connect"}""");
        }

        Assert.Equal([1, 2, 3], Seqs(Sensor("alerts", "--state", state)));
        Assert.Equal([2, 3], Seqs(Sensor("alerts", "--state", state, "--since", "1h")));
        Assert.Equal([2], Seqs(Sensor("alerts", "--state", state, "--container", "web")));
        Assert.Equal([2], Seqs(Sensor("alerts", "--state", state, "--container", "bbbb2222")));
        Assert.Equal([3], Seqs(Sensor("alerts", "--state", state, "--rule", "unanswered_connect")));
        Assert.Equal([3], Seqs(Sensor("alerts", "--state", state, "--limit", "1")));
    }

    [Theory]
    [InlineData("--since", "yesterday", "--since must be a duration")]
    [InlineData("--since", "5y", "--since must be a duration")]
    [InlineData("--limit", "0", "--limit must be between 1 and 1000000")]
    public void Alerts_refuses_bad_arguments_with_one_line(string option, string value, string message)
    {
        Requirements.Built();
        ProcessResult result = Sensor("alerts", "--state", Path.Combine(folder, "x.db"), option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Alerts_on_a_missing_or_foreign_state_file_says_so_in_one_line()
    {
        Requirements.Built();
        ProcessResult missing = Sensor("alerts", "--state", Path.Combine(folder, "absent.db"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("absent.db: not found", missing.Stderr, StringComparison.Ordinal);

        string garbage = Path.Combine(folder, "garbage.db");
        File.WriteAllText(garbage, new string('x', 4096));
        ProcessResult foreign = Sensor("alerts", "--state", garbage);
        Assert.Equal(1, foreign.ExitCode);
        Assert.Single(foreign.Stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"onewaysensor: state file {garbage}:", foreign.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Tail_refuses_an_address_that_is_not_unix_path_and_names_a_socket_nobody_serves()
    {
        Requirements.Built();
        ProcessResult usage = Sensor("tail", "tcp:127.0.0.1:1");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("must be unix:/ABSOLUTE/PATH", usage.Stderr, StringComparison.Ordinal);

        ProcessResult absent = Sensor("tail", $"unix:{folder}/none.sock");
        Assert.Equal(1, absent.ExitCode);
        Assert.Contains($"cannot connect to the export socket {folder}/none.sock", absent.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_and_top_name_a_control_socket_nobody_serves()
    {
        Requirements.Built();
        foreach (string command in new[] { "status", "top" })
        {
            ProcessResult result = Sensor(command, "--control-socket", $"{folder}/none.sock");
            Assert.Equal(1, result.ExitCode);
            Assert.Contains($"no sensor answers on the control socket {folder}/none.sock", result.Stderr, StringComparison.Ordinal);
            Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        }
    }

    private static List<int> Seqs(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("seq").GetInt32())];
    }

    private static ProcessResult Sensor(params string[] arguments) => ProcessRunner.Run(RepoPaths.SensorBinary, arguments);

    private static ProcessResult Sensor(string[] arguments, Dictionary<string, string> environment) =>
        ProcessRunner.Run(RepoPaths.SensorBinary, arguments, environment: environment);
}
