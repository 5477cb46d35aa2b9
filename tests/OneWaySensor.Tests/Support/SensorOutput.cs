using System.Text.Json;

namespace OneWaySensor.Tests.Support;

/// <summary>Reads what a running or stopped sensor said: its JSON records by kind, sums over them, its status.</summary>
internal static class SensorOutput
{
    /// <summary>The records of one kind among JSON lines, in order.</summary>
    public static List<JsonElement> Records(IEnumerable<string> lines, string kind) =>
        [.. lines.Select(line => JsonDocument.Parse(line).RootElement).Where(record => record.GetProperty("kind").GetString() == kind)];

    public static List<JsonElement> Records(SensorProcess sensor, string kind) => Records(sensor.Stdout, kind);

    public static ulong CgroupOf(JsonElement record) => record.GetProperty("cgroup").GetProperty("id").GetUInt64();

    /// <summary>The flow summaries of one cgroup.</summary>
    public static List<JsonElement> SummariesOf(SensorProcess sensor, ulong cgroupId) =>
        [.. Records(sensor, "flow_summary").Where(summary => CgroupOf(summary) == cgroupId)];

    /// <summary>A numeric field summed over records.</summary>
    public static ulong Sum(IEnumerable<JsonElement> records, string field) =>
        records.Aggregate(0UL, (sum, record) => sum + record.GetProperty(field).GetUInt64());

    /// <summary>The running sensor's metrics, as `onewaysensor status --json` prints them.</summary>
    public static JsonElement Status(SensorProcess sensor)
    {
        ProcessResult answer = ProcessRunner.Run(RepoPaths.SensorBinary, ["status", "--json", "--control-socket", sensor.ControlSocket]);
        Assert.True(answer.ExitCode == 0, answer.Stderr);
        return JsonDocument.Parse(answer.Stdout).RootElement.GetProperty("metrics").Clone();
    }

    /// <summary>One labelled value of a metric ("kernel_records_lost_total", "ring_buffer_full").</summary>
    public static double Labeled(JsonElement metrics, string name, string label) => metrics.GetProperty(name).GetProperty(label).GetDouble();

    /// <summary>The alert history in a state file, as `onewaysensor alerts` prints it (it reads beside a running sensor).</summary>
    public static string[] AlertHistory(string state)
    {
        ProcessResult history = ProcessRunner.Run(RepoPaths.SensorBinary, ["alerts", "--state", state, "--since", "1h"]);
        Assert.True(history.ExitCode == 0, history.Stderr);
        return history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The stderr lines that contain <paramref name="text"/>.</summary>
    public static int LogLines(SensorProcess sensor, string text) =>
        sensor.Stderr.Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));
}
