using OneWaySensor.Containers;
using OneWaySensor.Containers.Engine;
using OneWaySensor.Output;
using OneWaySensor.Tests.Support;
using static OneWaySensor.Tests.Containers.Engine.EngineSamples;

namespace OneWaySensor.Tests.Containers.Engine;

/// <summary>
/// The engine's answers as an attacker or a broken engine might send them:
/// inspect bodies, container lists and event lines, mutated at random and cut
/// at every byte. The parsers never throw, count what they refuse, and keep
/// only what is bounded; the metadata cache marks a container whose answer
/// could not be read as unknown and goes on with the rest.
/// </summary>
public sealed class EngineAnswerFuzzTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

    private static readonly byte[][] Inspects = [Utf8(RunningInspect), Utf8(StoppedInspect), Utf8(InspectWithLabels("""{"a\u001b[2J":"b\nc","io.kubernetes.pod.name":"\u202egnp"}"""))];
    private static readonly byte[][] Events = [Utf8(ContainerEvent("start")), Utf8(ContainerEvent("exec_start: sh -c 'x\u001b]0;t\u0007'")), Utf8(DockerNetworkEvent("connect")), Utf8(PodmanNetworkEvent("disconnect"))];
    private static readonly byte[] List = Utf8($$"""[ { "Id": "{{WebId}}", "Names": ["/web"] }, { "Id": "{{SinkId}}", "Names": ["/sink"] } ]""");

    [Fact]
    public void Mutated_inspect_answers_are_metadata_within_the_limits_or_a_counted_refusal()
    {
        Fuzz.Cases(2000, random =>
        {
            byte[] body = Fuzz.Mutate(random, Inspects[random.Next(Inspects.Length)]);
            var counters = default(EngineClientCounters);
            ContainerMetadata? metadata = DockerInspectParser.Parse(body, ref counters);
            if (metadata is null)
            {
                Assert.Equal(1ul, counters.MalformedAnswers);
                return;
            }

            AssertBounded(metadata);
        });
    }

    [Fact]
    public void An_inspect_answer_cut_at_every_byte_is_refused_and_counted()
    {
        foreach (byte[] body in Inspects)
        {
            for (int length = 0; length < body.Length - 1; length++)
            {
                var counters = default(EngineClientCounters);
                Assert.Null(DockerInspectParser.Parse(body.AsMemory(0, length), ref counters));
                Assert.Equal(1ul, counters.MalformedAnswers);
            }
        }
    }

    [Fact]
    public void Mutated_event_lines_are_events_with_plausible_ids_or_counted()
    {
        Fuzz.Cases(3000, random =>
        {
            byte[] line = Fuzz.Mutate(random, Events[random.Next(Events.Length)]);
            var counters = default(EngineClientCounters);
            var events = new List<RuntimeEvent>();
            DockerEventParser.ParseLine(line, events, Now, ref counters);
            if (events.Count == 0 && line.AsSpan().Trim(" \t\r\n"u8).Length > 0) // blank lines are no answer: the framer skips them
            {
                Assert.True(counters.MalformedAnswers + counters.IgnoredEvents > 0, $"a line that yields nothing is counted: {System.Text.Encoding.UTF8.GetString(line)}");
            }

            foreach (RuntimeEvent runtimeEvent in events)
            {
                Assert.True(ContainerIds.IsPlausible(runtimeEvent.ContainerId), runtimeEvent.ContainerId);
                Assert.All(new[] { runtimeEvent.ContainerName, runtimeEvent.Image, runtimeEvent.Command, runtimeEvent.Network }, text => Assert.True((text?.Length ?? 0) <= EngineLimits.MaxTextLength));
            }
        });
    }

    [Fact]
    public void Mutated_container_lists_are_plausible_ids_or_a_counted_refusal()
    {
        Fuzz.Cases(2000, random =>
        {
            var counters = default(EngineClientCounters);
            List<string>? ids = DockerListParser.Parse(Fuzz.Mutate(random, List), ref counters);
            if (ids is null)
            {
                Assert.Equal(1ul, counters.MalformedAnswers);
                return;
            }

            Assert.All(ids, id => Assert.True(ContainerIds.IsPlausible(id), id));
            Assert.InRange(ids.Count, 0, 2);
        });
    }

    [Fact]
    public async Task A_container_whose_inspect_cannot_be_read_is_unknown_and_the_cache_goes_on()
    {
        byte[] stream = Utf8(string.Join('\n', "this is not json", "{\"Type\":\"container\",\"Action\":", ContainerEvent("start", SinkId)) + "\n");
        await using var engine = new FakeEngineServer(target =>
            target.StartsWith("/containers/json", StringComparison.Ordinal) ? FakeResponse.Body(List)
            : target.StartsWith($"/containers/{WebId}/json", StringComparison.Ordinal) ? FakeResponse.Body(Utf8(RunningInspect)[..200]) // cut short
            : target.StartsWith($"/containers/{SinkId}/json", StringComparison.Ordinal) ? FakeResponse.Json(StoppedInspect)
            : FakeResponse.ChunkedParts(stream) with { Hold = true });
        using var client = new DockerEngineClient(engine.SocketPath);
        await using var cache = new ContainerMetadataCache(client);

        cache.Start();
        RuntimeEvent start = await cache.RuntimeEvents.ReadAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(SinkId, start.ContainerId);
        Assert.True(cache.Connected);
        Assert.True(cache.TryGet(SinkId, out _));
        Assert.False(cache.TryGet(WebId, out _));
        Assert.Null(await cache.GetOrFetchAsync(WebId, TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(Bound));
        Assert.True(client.Counters.MalformedAnswers >= 3, $"{client.Counters.MalformedAnswers}: the cut inspect and the two bad event lines");
        Assert.True(cache.Counters.NotFound >= 1);

        // and an alert on it says the metadata is unknown, rather than failing
        var json = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(json, OutputJson.Options))
        {
            writer.WriteStartObject();
            ContainerJsonWriter.WriteWorkload(writer, 7, $"/docker/{WebId}", new ContainerIdentity(ContainerRuntime.Docker, WebId), null);
            writer.WriteEndObject();
        }

        Assert.Contains("\"metadata_known\":false", System.Text.Encoding.UTF8.GetString(json.WrittenSpan), StringComparison.Ordinal);
    }

    private static void AssertBounded(ContainerMetadata metadata)
    {
        Assert.True(ContainerIds.IsPlausible(metadata.Id));
        Assert.InRange(metadata.Labels.Count, 0, EngineLimits.MaxLabels);
        Assert.InRange(metadata.PublishedPorts.Count, 0, EngineLimits.MaxPorts);
        string?[] texts = [metadata.Name, metadata.Image, metadata.NetworkMode, metadata.HealthcheckCommand, .. metadata.Labels.Keys, .. metadata.Labels.Values];
        Assert.All(texts, text => Assert.True((text?.Length ?? 0) <= EngineLimits.MaxTextLength));
    }
}
