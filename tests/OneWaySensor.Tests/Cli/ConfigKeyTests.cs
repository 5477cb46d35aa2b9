using System.Text.Json.Nodes;
using OneWaySensor.Cli;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Cli;

/// <summary>
/// Every key of the shipped sample config, given a value of the wrong type,
/// a value out of its range, and a misspelled neighbour: each is refused in
/// one line naming the full key, by the same check `run`, `config check`
/// and `replay` make (<see cref="ConfigFile.LoadChecked"/>).
/// </summary>
public sealed class ConfigKeyTests : IDisposable
{
    private static readonly string LongSocket = "/run/" + new string('s', 120) + ".sock";

    /// <summary>A value out of range for each key of the sample, or null for a key any value of its type suits (free text, switches).</summary>
    private static readonly Dictionary<string, string?> OutOfRange = new()
    {
        ["Sensor:Source"] = "\"sideways\"",
        ["Sensor:CaptureInterface"] = "\" \"",
        ["Sensor:WindowSeconds"] = "0",
        ["Sensor:PollIntervalMilliseconds"] = "49",
        ["Sensor:FlowMapEntries"] = "1023",
        ["Sensor:FlowPinDirectory"] = "\"sys/fs/bpf/flows\"",
        ["Sensor:MaxTrackedFlows"] = "1023",
        ["Sensor:RingBufferBytes"] = "4097",
        ["Sensor:RingBufferWakeupBytes"] = "0",
        ["Sensor:IdleTimeoutSeconds"] = "30",
        ["Sensor:AlertsFile"] = "\"\"",
        ["Sensor:DurationSeconds"] = "-1",
        ["Sensor:ContainerEngineSockets:0"] = "\"docker.sock\"",
        ["Sensor:ContainerEngineSockets:1"] = $"\"{LongSocket}\"",
        ["Sensor:MetadataWaitMilliseconds"] = "60001",
        ["Sensor:HostProcessEvents"] = null,
        ["Sensor:ControlSocket"] = "\"control.sock\"",
        ["Sensor:StatePath"] = "\"state\\u0000.db\"",
        ["Sensor:OutputFile"] = "\"\"",
        ["Sensor:FileMaxBytes"] = "4095",
        ["Sensor:FileKeep"] = "0",
        ["Sensor:FlowSummarySeconds"] = "-1",
        ["Sensor:HealthSeconds"] = "86401",
        ["Sensor:Metrics"] = "\"0.0.0.0:9477\"",
        ["Sensor:Export:Socket"] = $"\"{LongSocket}\"",
        ["Sensor:Export:SocketGroup"] = "\"\"",
        ["Sensor:Export:ClientBufferBytes"] = "65535",
        ["Sensor:Export:StallTimeoutSeconds"] = "0",
        ["Sensor:Export:MaxClients"] = "1025",
        ["Detection:OneWayFlow:Enabled"] = null,
        ["Detection:UnansweredConnect:Enabled"] = null,
        ["Detection:UnansweredConnect:Attempts"] = "0",
        ["Detection:Beacon:Enabled"] = null,
        ["Detection:Beacon:MinimumContacts"] = "65",
        ["Detection:Beacon:ScoreThreshold"] = "\"NaN\"",
        ["Detection:Beacon:SilenceSeconds"] = "0",
        ["Detection:SilentListener:Enabled"] = null,
        ["Detection:ExecThenEgress:Enabled"] = null,
        ["Detection:ExecThenEgress:WithinSeconds"] = "86401",
        ["Detection:Outage:Enabled"] = null,
        ["Detection:Outage:Containers"] = "1",
        ["Detection:Baseline:Enabled"] = null,
        ["Detection:Baseline:LearningSeconds"] = "0",
        ["Detection:Baseline:MinimumObservations"] = "0",
        ["Detection:Baseline:Match"] = "7",
        ["Detection:Baseline:MinimumOneWaySeconds"] = "-1",
        ["Detection:Baseline:CommonOneWayShare"] = "\"NaN\"",
        ["Detection:Baseline:MaxDestinationsPerImage"] = "0",
        ["Detection:Baseline:MaxPortsPerImage"] = "262145",
        ["Detection:Baseline:MaxImages"] = "0",
        ["Detection:Baseline:SaveIntervalSeconds"] = "0",
        ["Detection:Allowlist:0:Reason"] = null,
        ["Detection:Allowlist:0:Image"] = null,
        ["Detection:Allowlist:0:Rules:0"] = "\"one_way\"",
        ["Detection:Allowlist:0:Rules:1"] = "\"\"",
        ["Detection:Allowlist:1:Reason"] = null,
        ["Detection:Allowlist:1:Label"] = null,
        ["Detection:Allowlist:1:RemotePort"] = "65536",
        ["Detection:Allowlist:1:Rules:0"] = "\"beacons\"",
        ["Detection:Allowlist:1:Rules:1"] = "\"*\"",
        ["Detection:Allowlist:2:Reason"] = null,
        ["Detection:Allowlist:2:RemoteCidr"] = "\"192.0.2.0/33\"",
        ["Detection:Allowlist:2:RemotePort"] = "-1",
        ["Detection:MaintenanceWindows:0:Reason"] = null,
        ["Detection:MaintenanceWindows:0:Start"] = "\"2026-12-06T00:00:00Z\"",
        ["Detection:MaintenanceWindows:0:End"] = "\"2026-12-05T00:00:00Z\"",
        ["Detection:MaintenanceWindows:0:Action"] = "\"ignore\"",
        ["Detection:MaintenanceWindows:0:Rules:0"] = "\"all\"",
        ["Detection:MaintenanceWindows:0:Rules:1"] = "\"one_way_flow \"",
    };

    private readonly string folder = Directory.CreateTempSubdirectory("ows-config-keys-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Every_key_of_the_sample_has_a_row_here()
    {
        Assert.Equal(OutOfRange.Keys.Order(), Leaves(Sample()).Select(leaf => leaf.Path).Order());
    }

    [Fact]
    public void A_value_of_the_wrong_type_for_any_key_is_one_line_naming_the_key()
    {
        foreach ((string path, JsonNode? value) in Leaves(Sample()))
        {
            foreach (string wrong in WrongTypes(value))
            {
                AssertRefused(WithValue(path, wrong), path, because: $"{path} = {wrong}");
            }
        }

        // a section or a list given a value, and a value given a section
        foreach (string section in new[] { "Sensor", "Sensor:Export", "Detection:Beacon", "Detection:Baseline", "Detection:Allowlist", "Detection:Allowlist:0", "Detection:MaintenanceWindows:0:Rules" })
        {
            AssertRefused(WithValue(section, "\"on\""), section, because: $"{section} = \"on\"");
            AssertRefused(WithValue(section, "5"), section, because: $"{section} = 5");
        }
    }

    [Fact]
    public void A_value_out_of_range_for_any_key_is_one_line_naming_the_key()
    {
        foreach ((string path, string? bad) in OutOfRange)
        {
            if (bad is not null)
            {
                AssertRefused(WithValue(path, bad), Named(path), because: $"{path} = {bad}");
            }
        }
    }

    [Fact]
    public void An_unknown_key_beside_any_key_is_one_line_naming_it()
    {
        foreach (string section in Leaves(Sample()).Select(leaf => Parent(leaf.Path)).Distinct().Where(parent => Node(Sample(), parent) is JsonObject))
        {
            string path = $"{section}:WindowSecs";
            JsonNode config = Sample();
            ((JsonObject)Node(config, section)).Add("WindowSecs", 5);
            string message = AssertRefused(config, path, because: path);
            Assert.Contains("unknown key", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Keys_and_values_with_control_characters_stay_on_one_line_and_escaped()
    {
        JsonNode config = Sample();
        ((JsonObject)config["Sensor"]!).Add("Window\u001b[2J\nSeconds", 5);
        string message = AssertRefused(config, "Sensor:Window\\u001b[2J\\u000aSeconds", because: "a key with a terminal escape");
        Assert.DoesNotContain('\u001b', message);

        string value = AssertRefused(WithValue("Sensor:WindowSeconds", "\"6\\u001b]0;owned\\u0007\""), "Sensor:WindowSeconds", because: "a value with a terminal escape");
        Assert.DoesNotContain('\u0007', value);
    }

    /// <summary>Refused by the checks `run` makes: one line, naming <paramref name="key"/>; returns the line.</summary>
    private string AssertRefused(JsonNode config, string key, string because)
    {
        string file = Path.Combine(folder, "config.json");
        File.WriteAllText(file, config.ToJsonString());
        ConfigException? error = Record.Exception(() => ConfigFile.LoadChecked(new FileInfo(file))) as ConfigException;
        Assert.True(error is not null, $"{because}: accepted");
        string line = OneWaySensor.Cli.Program.ErrorLine(error.Message);
        Assert.True(line.Contains(key, StringComparison.Ordinal), $"{because}: '{line}' does not name {key}");
        Assert.DoesNotContain('\n', line);
        return line;
    }

    private static IEnumerable<string> WrongTypes(JsonNode? sample) => sample?.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.Number => ["\"soon\"", "true", "1.5e300", "[1]", "{\"a\":1}"],
        System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => ["\"maybe\"", "7", "[true]", "{\"a\":true}"],
        _ => ["[\"x\"]", "{\"a\":\"x\"}"], // text, and text left null
    };

    private static JsonNode Sample() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Out, "..", "sensor", "onewaysensor.sample.json")))!;

    /// <summary>Every value of the config that is not a section or a list, with its key as the configuration spells it.</summary>
    private static IEnumerable<(string Path, JsonNode? Value)> Leaves(JsonNode? node, string path = "")
    {
        switch (node)
        {
            case JsonObject section:
                foreach ((string key, JsonNode? child) in section)
                {
                    foreach (var leaf in Leaves(child, path.Length == 0 ? key : $"{path}:{key}"))
                    {
                        yield return leaf;
                    }
                }

                break;
            case JsonArray list:
                for (int i = 0; i < list.Count; i++)
                {
                    foreach (var leaf in Leaves(list[i], $"{path}:{i}"))
                    {
                        yield return leaf;
                    }
                }

                break;
            default:
                yield return (path, node);
                break;
        }
    }

    private static JsonNode WithValue(string path, string json)
    {
        JsonNode config = Sample();
        string parent = Parent(path);
        string key = path[(path.LastIndexOf(':') + 1)..];
        JsonNode? value = JsonNode.Parse(json);
        JsonNode container = parent.Length == 0 ? config : Node(config, parent);
        if (container is JsonArray list)
        {
            list[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)] = value;
        }
        else
        {
            container[key] = value;
        }

        return config;
    }

    private static JsonNode Node(JsonNode config, string path) =>
        path.Split(':').Aggregate(config, (node, key) => node is JsonArray list ? list[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)]! : node[key]!);

    private static string Parent(string path) => path.Contains(':', StringComparison.Ordinal) ? path[..path.LastIndexOf(':')] : string.Empty;

    /// <summary>
    /// The key a range problem names: a list's own key for one of its items,
    /// and a maintenance window's End for a Start after it (the two are one
    /// problem, named where it shows).
    /// </summary>
    private static string Named(string path)
    {
        string key = int.TryParse(path[(path.LastIndexOf(':') + 1)..], out _) ? Parent(path) : path;
        return key.EndsWith(":Start", StringComparison.Ordinal) ? key[..^"Start".Length] + "End" : key;
    }
}
