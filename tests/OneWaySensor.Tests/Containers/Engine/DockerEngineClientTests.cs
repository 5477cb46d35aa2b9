using System.Net.Sockets;
using System.Text;
using OneWaySensor.Containers;
using OneWaySensor.Containers.Engine;
using static OneWaySensor.Tests.Containers.Engine.EngineSamples;

namespace OneWaySensor.Tests.Containers.Engine;

public sealed class DockerEngineClientTests
{
    private const string EventsTarget = "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%7D";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_inspect_body_maps_to_metadata()
    {
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(RunningInspect));
        using var client = new DockerEngineClient(engine.SocketPath);

        ContainerMetadata? metadata = await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound);

        Assert.NotNull(metadata);
        Assert.Equal(WebId, metadata.Id);
        Assert.Equal("k8s_web_web-7d9f_shop_0a1b_0", metadata.Name);
        Assert.Equal("alpine:latest", metadata.Image);
        Assert.Equal("bridge", metadata.NetworkMode);
        Assert.Equal("/bin/sh -c wget -q -O /dev/null http://127.0.0.1/health", metadata.HealthcheckCommand);
        Assert.True(metadata.Privileged);
        Assert.Equal("web-7d9f", metadata.PodName);
        Assert.Equal("shop", metadata.PodNamespace);
        Assert.Equal("web", metadata.KubernetesContainerName);
        Assert.Equal(4, metadata.Labels.Count);
        Assert.Equal("ops@example.com", metadata.Labels["maintainer"]);
        PublishedPort[] ports = [new("tcp", 80, "0.0.0.0", 9999), new("tcp", 80, "::", 9999), new("udp", 53, "127.0.0.1", 5353)];
        Assert.Equal(ports, metadata.PublishedPorts);
        Assert.Equal([System.Net.IPAddress.Parse("172.17.0.2")], metadata.Addresses);
        Assert.Equal([$"/containers/{WebId}/json"], engine.Requests);
        Assert.Equal(default, client.Counters);
    }

    [Fact]
    public async Task A_pinned_api_version_prefixes_every_path()
    {
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(RunningInspect));
        using var client = new DockerEngineClient(engine.SocketPath, apiVersion: "1.41");

        Assert.NotNull(await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound));
        Assert.Equal([$"/v1.41/containers/{WebId}/json"], engine.Requests);
        Assert.Throws<ArgumentException>(() => new DockerEngineClient(engine.SocketPath, apiVersion: "1.41/../x"));
    }

    [Fact]
    public async Task A_stopped_container_reports_the_port_bindings_it_asked_for()
    {
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(StoppedInspect));
        using var client = new DockerEngineClient(engine.SocketPath);

        ContainerMetadata? metadata = await client.InspectAsync(SinkId, CancellationToken.None).WaitAsync(Bound);

        Assert.NotNull(metadata);
        Assert.Equal("sink", metadata.Name);
        Assert.Equal($"container:{WebId}", metadata.NetworkMode);
        Assert.False(metadata.Privileged);
        Assert.Empty(metadata.Labels);
        Assert.Null(metadata.PodName);
        PublishedPort[] ports = [new("tcp", 8080, "127.0.0.1", null)];
        Assert.Equal(ports, metadata.PublishedPorts);
        Assert.Equal(default, client.Counters);
    }

    [Fact]
    public async Task An_unknown_container_is_null()
    {
        await using var engine = new FakeEngineServer(_ => FakeResponse.NotFound());
        using var client = new DockerEngineClient(engine.SocketPath);

        Assert.Null(await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(default, client.Counters);
    }

    [Theory]
    [InlineData("")]
    [InlineData("this is not json")]
    [InlineData("{\"Id\":\"4f1c\",")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"Id\":42}")]
    [InlineData("{\"Id\":\"../../info\"}")]
    [InlineData("{\"Id\":\"a\u001bb\"}")]
    public async Task A_malformed_inspect_answer_is_null_and_counted(string body)
    {
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(body));
        using var client = new DockerEngineClient(engine.SocketPath);

        Assert.Null(await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(1ul, client.Counters.MalformedAnswers);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_inspect_body_over_1_MiB_is_refused_and_the_next_request_still_works(bool chunked)
    {
        // a 2 MiB body that is valid JSON: only its size is wrong
        string padding = new('x', 2 << 20);
        byte[] huge = Utf8(InspectWithLabels($$"""{"pad":"{{padding}}"}"""));
        int requests = 0;
        await using var engine = new FakeEngineServer(_ => Interlocked.Increment(ref requests) == 1
            ? (chunked ? FakeResponse.ChunkedParts([.. huge.Chunk(64 * 1024)]) : FakeResponse.Body(huge))
            : FakeResponse.Json(RunningInspect));
        using var client = new DockerEngineClient(engine.SocketPath);

        Assert.Null(await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(1ul, client.Counters.OversizedAnswers);
        Assert.NotNull(await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound));
    }

    [Fact]
    public async Task Labels_keep_control_characters_verbatim_and_skip_what_cannot_be_read()
    {
        // terminal escapes (OSC title, colour), a newline and a NUL stay as they are: escaping is the output's job
        string labels = """
            {"esc":"\u001b]0;owned\u0007\u001b[31mred","nl":"a\nb","nul":"a\u0000b",
             "num":42,"lone":"x\ud800y","obj":{"a":1},"arr":["x"]}
            """;
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(InspectWithLabels(labels)));
        using var client = new DockerEngineClient(engine.SocketPath);

        ContainerMetadata? metadata = await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound);

        Assert.NotNull(metadata);
        Assert.Equal(3, metadata.Labels.Count);
        Assert.Equal("\u001b]0;owned\u0007\u001b[31mred", metadata.Labels["esc"]);
        Assert.Equal("a\nb", metadata.Labels["nl"]);
        Assert.Equal("a\0b", metadata.Labels["nul"]);
        Assert.Equal(4ul, client.Counters.MalformedElements);
        Assert.Equal(0ul, client.Counters.MalformedAnswers);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_label_skips_that_label_only()
    {
        byte[] body = [.. Utf8($$"""{ "Id": "{{WebId}}", "Config": { "Labels": { "good": "yes", "bad": "x"""), 0xFF, 0xFE, .. "\" } } }"u8];
        await using var engine = new FakeEngineServer(_ => FakeResponse.Body(body));
        using var client = new DockerEngineClient(engine.SocketPath);

        ContainerMetadata? metadata = await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound);

        Assert.NotNull(metadata);
        Assert.Equal("yes", Assert.Single(metadata.Labels).Value);
        Assert.Equal(1ul, client.Counters.MalformedElements);
    }

    [Fact]
    public async Task Labels_are_bounded_in_number_and_length()
    {
        var labels = new StringBuilder("{");
        labels.Append($"\"long\":\"{new string('v', 10_000)}\",");
        labels.Append($"\"emoji\":\"{new string('x', 4095)}\\ud83d\\ude00\",");
        labels.Append($"\"{new string('k', 5000)}\":\"long key\"");
        for (int i = 0; i < 300; i++)
        {
            labels.Append($",\"label{i:000}\":\"{i}\"");
        }

        labels.Append('}');
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(InspectWithLabels(labels.ToString())));
        using var client = new DockerEngineClient(engine.SocketPath);

        ContainerMetadata? metadata = await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound);

        Assert.NotNull(metadata);
        Assert.Equal(256, metadata.Labels.Count);
        Assert.Equal(new string('v', 4096), metadata.Labels["long"]);
        Assert.Equal(new string('x', 4095), metadata.Labels["emoji"]); // cut before the surrogate pair, not inside it
        Assert.Equal("long key", metadata.Labels[new string('k', 4096)]);
        Assert.Equal("252", metadata.Labels["label252"]);
        Assert.False(metadata.Labels.ContainsKey("label253"));
        Assert.Equal(3ul + (300 - 253), client.Counters.TruncatedValues);
    }

    [Fact]
    public async Task Members_of_the_wrong_type_are_skipped_and_the_rest_is_kept()
    {
        string body = $$"""
            { "Id": "{{WebId}}", "Name": 7, "Config": "alpine",
              "HostConfig": { "Privileged": "yes", "NetworkMode": ["host"], "PortBindings": { "80/tcp": "9999" } },
              "NetworkSettings": { "Ports": {
                  "x/tcp": [ { "HostIp": "0.0.0.0", "HostPort": "1" } ],
                  "99999/tcp": [ { "HostIp": "0.0.0.0", "HostPort": "2" } ],
                  "80/tcp": [ 5, { "HostIp": 1, "HostPort": "70000" }, { "HostIp": "0.0.0.0", "HostPort": 8080 } ] } } }
            """;
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(body));
        using var client = new DockerEngineClient(engine.SocketPath);

        ContainerMetadata? metadata = await client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound);

        Assert.NotNull(metadata);
        Assert.Null(metadata.Name);
        Assert.Null(metadata.Image);
        Assert.Null(metadata.NetworkMode);
        Assert.False(metadata.Privileged);
        Assert.Empty(metadata.Labels);
        PublishedPort[] ports = [new("tcp", 80, null, null), new("tcp", 80, "0.0.0.0", 8080)];
        Assert.Equal(ports, metadata.PublishedPorts);
        Assert.Equal(9ul, client.Counters.MalformedElements);
        Assert.Equal(0ul, client.Counters.MalformedAnswers);
    }

    [Fact]
    public async Task The_container_list_yields_the_ids_it_can_read()
    {
        string list = $$"""
            [ { "Id": "{{WebId}}", "Names": ["/web"], "State": "running" },
              { "Id": 5 }, { "Names": ["/nameless"] },
              { "Id": "{{SinkId}}", "Names": ["/sink"], "State": "exited" } ]
            """;
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(list));
        using var client = new DockerEngineClient(engine.SocketPath);

        IReadOnlyList<string> ids = await client.ListContainerIdsAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal([WebId, SinkId], ids);
        Assert.Equal(["/containers/json?all=1"], engine.Requests);
        Assert.Equal(2ul, client.Counters.MalformedElements);
    }

    [Fact]
    public async Task A_list_that_cannot_be_read_and_an_error_status_are_engine_failures()
    {
        await using var engine = new FakeEngineServer(target => target.StartsWith("/containers/json", StringComparison.Ordinal)
            ? FakeResponse.Json("""{"not":"a list"}""")
            : FakeResponse.Json("""{"message":"\u001b[31mboom"}""", 500));
        using var client = new DockerEngineClient(engine.SocketPath);

        var list = await Assert.ThrowsAsync<EngineUnavailableException>(() => client.ListContainerIdsAsync(CancellationToken.None).WaitAsync(Bound));
        var inspect = await Assert.ThrowsAsync<EngineUnavailableException>(() => client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains(engine.SocketPath, list.Message, StringComparison.Ordinal);
        Assert.Contains("answered 500", inspect.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("boom", inspect.Message, StringComparison.Ordinal);
        Assert.Equal(1ul, client.Counters.MalformedAnswers);
        Assert.Equal(2ul, client.Counters.RequestsFailed);
    }

    [Fact]
    public async Task A_missing_socket_is_an_unavailable_engine_named_by_its_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ows-engine-missing-{Guid.NewGuid():N}.sock");
        using var client = new DockerEngineClient(path);

        var inspect = await Assert.ThrowsAsync<EngineUnavailableException>(() => client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound));
        var list = await Assert.ThrowsAsync<EngineUnavailableException>(() => client.ListContainerIdsAsync(CancellationToken.None).WaitAsync(Bound));
        var events = await Assert.ThrowsAsync<EngineUnavailableException>(async () =>
        {
            await foreach (RuntimeEvent runtimeEvent in client.EventsAsync(CancellationToken.None))
            {
                Assert.Fail($"no event expected, got {runtimeEvent}");
            }
        }).WaitAsync(Bound);

        foreach (EngineUnavailableException failure in (EngineUnavailableException[])[inspect, list, events])
        {
            Assert.Equal($"container engine socket {path} is unavailable: no such socket", failure.Message);
        }

        Assert.Equal(3ul, client.Counters.RequestsFailed);
    }

    [Fact]
    public async Task A_socket_nobody_listens_on_is_refused()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"ows-engine-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "engine.sock");
        try
        {
            // a socket file left behind by an engine that crashed: .NET removes the file of a socket
            // it bound when the socket is disposed, so bind elsewhere and move the file into place
            using (var crashed = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                crashed.Bind(new UnixDomainSocketEndPoint(path + ".bound"));
                File.Move(path + ".bound", path);
            }

            using var client = new DockerEngineClient(path);
            var failure = await Assert.ThrowsAsync<EngineUnavailableException>(() => client.ListContainerIdsAsync(CancellationToken.None).WaitAsync(Bound));
            Assert.Equal($"container engine socket {path} is unavailable: connection refused (no engine is listening)", failure.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task An_engine_that_does_not_answer_times_out()
    {
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(RunningInspect) with { Delay = TimeSpan.FromSeconds(30) });
        using var client = new DockerEngineClient(engine.SocketPath, requestTimeout: TimeSpan.FromMilliseconds(200));

        var failure = await Assert.ThrowsAsync<EngineUnavailableException>(() => client.InspectAsync(WebId, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("did not answer", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1ul, client.Counters.RequestsFailed);
    }

    [Fact]
    public async Task An_id_that_is_not_an_id_is_refused_before_any_request()
    {
        await using var engine = new FakeEngineServer(_ => FakeResponse.Json(RunningInspect));
        using var client = new DockerEngineClient(engine.SocketPath);

        await Assert.ThrowsAsync<ArgumentException>(() => client.InspectAsync("../../info", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => client.InspectAsync(new string('a', 129), CancellationToken.None));
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task The_event_stream_maps_docker_and_podman_events_and_counts_the_rest()
    {
        string exec = "exec_create: sh -c wget -q -T 1 -O /dev/null http://127.0.0.1:8080/beacon";
        string execAttributes = $",\"execID\":\"{ExecId}\"";
        string[] lines =
        [
            ContainerEvent("create"),
            DockerNetworkEvent("connect"),
            ContainerEvent("start"),
            ContainerEvent(exec, extraAttributes: execAttributes),
            ContainerEvent(exec.Replace("exec_create", "exec_start", StringComparison.Ordinal), extraAttributes: execAttributes),
            ContainerEvent("exec_die", extraAttributes: execAttributes + ",\"exitCode\":\"0\""),
            "this is not json",
            ContainerEvent("kill", extraAttributes: ",\"signal\":\"9\""),
            ContainerEvent("die", extraAttributes: ",\"exitCode\":\"137\"") + "\r",
            DockerNetworkEvent("disconnect"),
            ContainerEvent("destroy"),
            $$$"""{"Type":"network","Action":"create","Actor":{"ID":"{{{NetworkId}}}","Attributes":{"name":"n","type":"bridge"}},"time":1795818623}""",
            """{"Type":"image","Action":"pull","Actor":{"ID":"alpine:latest"}}""",
            $$$"""{"Type":"container","Action":"start","Actor":{"ID":"{{{new string('a', 2 << 20)}}}"}}""",
            """{"Type":"container","Action":"start","Actor":{"ID":42}}""",
            """{"Type":"container","Action":""",
            "[1,2,3]",
            "   ",
            """{"Type":"container","Action":"start","Actor":{"ID":"../../info"}}""",
            ContainerEvent("die", SinkId, ",\"exitCode\":\"oops\""),
            ContainerEvent("create", SinkId) + " " + ContainerEvent("start", SinkId),
            ContainerEvent("exec", SinkId),
            ContainerEvent("remove", SinkId),
            PodmanNetworkEvent("connect"),
            $$$"""{"Type":"container","Action":"start","Actor":{"ID":"{{{SinkId}}}"}}""",
            ContainerEvent("start"),
        ];
        byte[] stream = Utf8(string.Join('\n', lines)); // the last event has no newline: the stream's end ends it
        await using var engine = new FakeEngineServer(_ => FakeResponse.ChunkedParts([.. Split(stream)]));
        var time = new ManualTimeProvider();
        using var client = new DockerEngineClient(engine.SocketPath, time: time);

        List<RuntimeEvent> events = await ReadAllAsync(client.EventsAsync(CancellationToken.None)).WaitAsync(Bound);

        DateTimeOffset dockerTime = At(1795818622764438923);
        DateTimeOffset networkTime = At(1795818622807019902);
        string command = "sh -c wget -q -T 1 -O /dev/null http://127.0.0.1:8080/beacon";
        RuntimeEvent[] expected =
        [
            new(dockerTime, RuntimeEventKind.ContainerCreate, WebId, "web", "alpine:latest"),
            new(networkTime, RuntimeEventKind.NetworkConnect, WebId, Network: "bridge"),
            new(dockerTime, RuntimeEventKind.ContainerStart, WebId, "web", "alpine:latest"),
            new(dockerTime, RuntimeEventKind.ExecCreate, WebId, "web", "alpine:latest", Command: command),
            new(dockerTime, RuntimeEventKind.ExecStart, WebId, "web", "alpine:latest", Command: command),
            new(dockerTime, RuntimeEventKind.ContainerDie, WebId, "web", "alpine:latest", ExitCode: 137),
            new(networkTime, RuntimeEventKind.NetworkDisconnect, WebId, Network: "bridge"),
            new(dockerTime, RuntimeEventKind.ContainerDestroy, WebId, "web", "alpine:latest"),
            new(dockerTime, RuntimeEventKind.ContainerDie, SinkId, "web", "alpine:latest"),
            new(dockerTime, RuntimeEventKind.ContainerCreate, SinkId, "web", "alpine:latest"),
            new(dockerTime, RuntimeEventKind.ContainerStart, SinkId, "web", "alpine:latest"),
            new(dockerTime, RuntimeEventKind.ExecStart, SinkId, "web", "alpine:latest"),
            new(dockerTime, RuntimeEventKind.ContainerDestroy, SinkId, "web", "alpine:latest"),
            new(At(1795818714889247741), RuntimeEventKind.NetworkConnect, SinkId, ContainerName: "sink"),
            new(time.GetUtcNow(), RuntimeEventKind.ContainerStart, SinkId),
            new(dockerTime, RuntimeEventKind.ContainerStart, WebId, "web", "alpine:latest"),
        ];
        Assert.Equal(expected, events);
        Assert.Equal([EventsTarget], engine.Requests);

        EngineClientCounters counters = client.Counters;
        Assert.Equal(4ul, counters.IgnoredEvents);    // exec_die, kill, network create, image pull
        Assert.Equal(5ul, counters.MalformedAnswers); // not JSON, id 42, cut short, an array, "../../info"
        Assert.Equal(2ul, counters.MalformedElements); // the id 42 itself, exit code "oops"
        Assert.Equal(1ul, counters.OversizedAnswers);  // the 2 MiB event
        Assert.Equal(0ul, counters.RequestsFailed);
    }

    [Fact]
    public async Task A_stream_the_engine_breaks_off_ends_in_an_engine_failure_after_its_events()
    {
        await using var engine = new FakeEngineServer(_ => FakeResponse.ChunkedParts(Utf8(ContainerEvent("start") + "\n"), Utf8("{\"Type\":\"cont")) with { CutOff = true });
        using var client = new DockerEngineClient(engine.SocketPath);
        var events = new List<RuntimeEvent>();

        var failure = await Assert.ThrowsAsync<EngineUnavailableException>(async () =>
        {
            await foreach (RuntimeEvent runtimeEvent in client.EventsAsync(CancellationToken.None))
            {
                events.Add(runtimeEvent);
            }
        }).WaitAsync(Bound);

        Assert.Equal(RuntimeEventKind.ContainerStart, Assert.Single(events).Kind);
        Assert.Contains(engine.SocketPath, failure.Message, StringComparison.Ordinal);
        Assert.Equal(1ul, client.Counters.RequestsFailed);
    }

    [Fact]
    public async Task An_idle_stream_ends_when_the_caller_cancels()
    {
        await using var engine = new FakeEngineServer(_ => FakeResponse.ChunkedParts(Utf8(ContainerEvent("start") + "\n")) with { Hold = true });
        using var client = new DockerEngineClient(engine.SocketPath);
        using var cancellation = new CancellationTokenSource();
        int received = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (RuntimeEvent runtimeEvent in client.EventsAsync(cancellation.Token))
            {
                received++;
                cancellation.CancelAfter(TimeSpan.FromMilliseconds(50));
            }
        }).WaitAsync(Bound);

        Assert.Equal(1, received);
        Assert.Equal(0ul, client.Counters.RequestsFailed);
    }

    private static DateTimeOffset At(long unixNanoseconds) => DateTimeOffset.UnixEpoch.AddTicks(unixNanoseconds / 100);

    /// <summary>Cuts a body into chunks of uneven sizes, so messages straddle chunk boundaries.</summary>
    private static IEnumerable<byte[]> Split(byte[] body)
    {
        int[] sizes = [5, 17, 301, 4093, 65521];
        for (int offset = 0, i = 0; offset < body.Length; i++)
        {
            int size = Math.Min(sizes[i % sizes.Length], body.Length - offset);
            yield return body[offset..(offset + size)];
            offset += size;
        }
    }

    private static async Task<List<RuntimeEvent>> ReadAllAsync(IAsyncEnumerable<RuntimeEvent> events)
    {
        var list = new List<RuntimeEvent>();
        await foreach (RuntimeEvent runtimeEvent in events)
        {
            list.Add(runtimeEvent);
        }

        return list;
    }
}
