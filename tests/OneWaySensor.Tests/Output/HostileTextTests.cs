using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Cli.Isolation;
using OneWaySensor.Cli.Output;
using OneWaySensor.Cli.Top;
using OneWaySensor.Containers;
using OneWaySensor.Detection;
using OneWaySensor.Flows;
using OneWaySensor.Linux.Isolation;
using OneWaySensor.Linux.Kernel;
using OneWaySensor.Output;
using OneWaySensor.Processes;

namespace OneWaySensor.Tests.Output;

/// <summary>
/// Container names, labels, images and exec'd commands (the engine's
/// answers), process names and paths (the kernel's) and cgroup paths are
/// text whoever runs a container chooses. In every form the sensor writes
/// them (JSON lines, the readable terminal line, `top`, `alerts`, `tail`'s
/// JSON and the error lines) no terminal escape, newline, C1 control or
/// bidirectional override reaches a reader raw, and the JSON still carries
/// the text exactly.
/// </summary>
public sealed class HostileTextTests
{
    private const string Id = "4f1c2a7bd3e9c0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829";

    public static TheoryData<string> Texts() =>
    [
        "web\u001b[2J\u001b[H\u001b]0;owned\u0007",  // erase the screen, home, set the title
        "line\nkind: alert fake\r",                  // a forged second line
        "c1\u009b31mred\u0085next",                  // the one-byte CSI and next-line controls
        "bidi\u202egnp.exe\u2066x\u2069",            // right-to-left override and isolates
        "sep\u2028para\u2029end",                    // line and paragraph separators
        "nul\0tab\tdel\u007f",
        "\ufeffzero\u200bwidth",
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Every_json_line_is_printable_ascii_and_carries_the_text_exactly(string text)
    {
        foreach ((string form, string json) in JsonLines(text))
        {
            Assert.True(json.All(c => c is >= ' ' and <= '~'), $"{form}: {json}");
            Assert.True(Strings(JsonNode.Parse(json)).Any(value => value.Contains(text, StringComparison.Ordinal)), $"{form} lost the text");
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void The_readable_line_and_alerts_show_every_unsafe_character_escaped(string text)
    {
        foreach ((string form, string json) in JsonLines(text))
        {
            AssertSafe(form, ReadableLine.Format(Encoding.UTF8.GetBytes(json)));
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Top_draws_one_line_per_container_with_the_name_escaped(string text)
    {
        string[] lines = TopFrame.Parse(TopAnswer(text)).Render(null, 400).TrimEnd('\n').Split('\n');
        Assert.Equal(4, lines.Length); // the title, a blank line, the header, the one container
        foreach (string line in lines)
        {
            AssertSafe("top", line);
        }

        Assert.EndsWith(TerminalText.Escape(text), lines[3], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Tail_prints_the_same_escaped_json_after_the_messagepack_trip(string text)
    {
        foreach ((string form, string json) in JsonLines(text))
        {
            var packed = new ArrayBufferWriter<byte>();
            JsonToMessagePack.Transcode(Encoding.UTF8.GetBytes(json), packed);
            var back = new ArrayBufferWriter<byte>();
            Assert.True(MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(packed.WrittenMemory), back, out _));
            Assert.Equal(json, Encoding.UTF8.GetString(back.WrittenSpan));
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(back.WrittenSpan)), form);
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void An_error_line_naming_a_container_or_cgroup_stays_one_escaped_line(string text)
    {
        AssertSafe("error line", OneWaySensor.Cli.Program.ErrorLine($"container {text} (cgroup /docker/{text}) is not isolated"));
    }

    [Fact]
    public void A_process_name_of_invalid_utf8_from_the_kernel_is_replaced_then_escaped()
    {
        var record = new byte[ProcessExecRecord.ByteSize];
        RecordWriter.ProcessExec(record, 1, 7, 42, 1, "sh", "/tmp/x");
        // raw bytes over comm (offset 32) and the file name (offset 48), as a process may name itself
        byte[] comm = [0x1b, (byte)'[', (byte)'2', (byte)'J', 0xff, 0xc3, 0x28, 0];
        byte[] file = [(byte)'/', 0x1b, (byte)']', (byte)'0', (byte)';', 0x07, 0xfe, (byte)'\n', 0];
        comm.CopyTo(record.AsSpan(32));
        file.CopyTo(record.AsSpan(48));
        ProcessEvent exec = RecordConversions.ToExecEvent(System.Runtime.InteropServices.MemoryMarshal.Read<ProcessExecRecord>(record), default);

        var json = new ArrayBufferWriter<byte>();
        ProcessEventJsonWriter.Write(exec, "/docker/x", null, json);
        string line = Encoding.UTF8.GetString(json.WrittenSpan);
        Assert.True(line.All(c => c is >= ' ' and <= '~'), line);
        AssertSafe("process_exec", ReadableLine.Format(json.WrittenSpan));
        Assert.Contains("\\ufffd", line, StringComparison.OrdinalIgnoreCase); // the invalid bytes, replaced
    }

    [Fact]
    public void A_command_name_is_cut_to_15_bytes_before_a_character_that_does_not_fit()
    {
        // a snowman is 3 bytes of UTF-8: 13 + 3 would be 16, one past the kernel's 15 and a NUL
        Assert.Equal("aaaaaaaaaaaaa", CommName.From("aaaaaaaaaaaaa\u2603x").ToString());
        Assert.Equal(new string('\u2603', 5), CommName.From(new string('\u2603', 20)).ToString());
    }

    /// <summary>Each JSON form a hostile text reaches, with the text in every field that takes outside text.</summary>
    private static IEnumerable<(string Form, string Json)> JsonLines(string text)
    {
        var metadata = new ContainerMetadata
        {
            Id = Id,
            Name = "/" + text,
            Image = text,
            Labels = new Dictionary<string, string> { [text] = text, ["io.kubernetes.pod.name"] = text },
            PodName = text,
            NetworkMode = text,
            HealthcheckCommand = text,
        };
        var container = new ContainerIdentity(ContainerRuntime.Docker, Id);
        var execEvent = new RuntimeEvent(DateTimeOffset.UnixEpoch, RuntimeEventKind.ExecStart, Id, text, text, Command: text);
        var flow = new FlowState { Key = new FlowKey(7, 4, FlowProtocol.Tcp, FlowAddress.FromIPAddress(IPAddress.Loopback), 40000, FlowAddress.FromIPAddress(IPAddress.Loopback), 8080) };
        flow.Owner = new ProcessRef { Tgid = 9, Pid = 9, Comm = CommName.From(text) };
        var alert = new Alert(DateTimeOffset.UnixEpoch, RuleIds.OneWayFlow, AlertPriority.Critical, $"after an exec into the container: {text}", 7, $"/docker/{text}", flow, new JsonObject { ["exec_command"] = text })
        {
            Container = container,
            ContainerMetadata = metadata,
            ProcessExecutable = "/usr/bin/" + text,
            RecentRuntimeEvents = [execEvent],
        };
        yield return ("alert", AlertJsonWriter.ToJson(alert));
        yield return ("exec_start", Write(output => RuntimeEventJsonWriter.Write(execEvent, metadata, output)));
        var processExec = new ProcessEvent(DateTimeOffset.UnixEpoch, ProcessEventKind.Exec, 7, 9, 1, text, "/usr/bin/" + text, null);
        yield return ("process_exec", Write(output => ProcessEventJsonWriter.Write(processExec, $"/docker/{text}", container, output)));
        var isolation = new IsolationChange(IsolationAction.Isolate, IsolationReason.Requested, 7, $"/docker/{text}", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0, 0);
        yield return ("isolation", Write(output => IsolationJsonWriter.Write(isolation, container, text, output)));
        yield return ("top answer", TopAnswer(text));
    }

    /// <summary>The control socket's `top` answer for one container named <paramref name="text"/>.</summary>
    private static string TopAnswer(string text)
    {
        var table = new FlowTable();
        table.Observe(new FlowSample(
            new FlowKey(7, 4, FlowProtocol.Udp, FlowAddress.FromIPAddress(IPAddress.Loopback), 1, FlowAddress.FromIPAddress(IPAddress.Loopback), 2),
            new FlowCounters(1, 100, 72), default, 0, 0, FlowInitiator.Local, 1, 1));
        var workloads = new NamedWorkload(new Workload(7, "/docker/" + Id, new ContainerIdentity(ContainerRuntime.Docker, Id), new ContainerMetadata { Id = Id, Name = "/" + text }));
        return TopRows.Write(table, workloads, new AlertTally(new NoSink()), DateTimeOffset.UnixEpoch);
    }

    private static string Write(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static void AssertSafe(string form, string shown)
    {
        foreach (char c in shown)
        {
            UnicodeCategory category = char.GetUnicodeCategory(c);
            Assert.False(
                category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator,
                $"{form} shows U+{(int)c:X4} raw: {shown}");
        }
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject map => map.SelectMany(pair => Strings(pair.Value).Append(pair.Key)),
        JsonArray list => list.SelectMany(Strings),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => [value.GetValue<string>()],
        _ => [],
    };

    private sealed class NamedWorkload(Workload workload) : IWorkloadDirectory
    {
        public Workload Describe(ulong cgroupId) => workload;
    }

    private sealed class NoSink : IAlertSink
    {
        public void Emit(Alert alert)
        {
        }
    }
}
