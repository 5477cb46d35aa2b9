using System.Buffers;
using BenchmarkDotNet.Attributes;
using OneWaySensor.Containers;
using OneWaySensor.Output;
using OneWaySensor.Processes;

namespace OneWaySensor.Bench;

/// <summary>
/// One record of the output stream, the most frequent kind (a process exec
/// event), written as its JSON line (the one definition of every record)
/// and then as the export's MessagePack map, which is transcoded from that
/// line. Per record; the JSON writer's allocations are measured.
/// </summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private readonly ArrayBufferWriter<byte> json = new(4096);
    private readonly ArrayBufferWriter<byte> packed = new(4096);
    private readonly ContainerIdentity container = new(ContainerRuntime.Docker, new string('a', 64));
    private ProcessEvent exec = null!;

    [GlobalSetup]
    public void Setup()
    {
        exec = new ProcessEvent(DateTimeOffset.UnixEpoch.AddDays(20000), ProcessEventKind.Exec, 1234, 4242, 1, "sh", "/bin/busybox", null);
        ToJson();
    }

    [Benchmark(Baseline = true)]
    public int ToJson()
    {
        json.ResetWrittenCount();
        ProcessEventJsonWriter.Write(exec, "/system.slice/docker-aaaa.scope", container, json);
        return json.WrittenCount;
    }

    [Benchmark]
    public int ToJsonThenMessagePack()
    {
        ToJson();
        packed.ResetWrittenCount();
        JsonToMessagePack.Transcode(json.WrittenSpan, packed);
        return packed.WrittenCount;
    }
}
