using System.Net;
using OneWaySensor.Cgroups;
using OneWaySensor.Cli.Output;
using OneWaySensor.Containers;
using OneWaySensor.Flows;
using OneWaySensor.Processes;

namespace OneWaySensor.Tests.Output;

/// <summary>The output queue under more records than it holds: what is dropped is counted, an interval's summaries are not dropped.</summary>
public sealed class OutputPipelineTests : IAsyncDisposable
{
    private readonly ContainerEngines engines = new([]);
    private readonly HeldSink sink = new();

    public async ValueTask DisposeAsync()
    {
        sink.Release();
        await engines.DisposeAsync();
    }

    [Fact]
    public async Task A_record_that_finds_the_queue_full_is_dropped_and_counted()
    {
        OutputPipeline pipeline = Open();
        pipeline.Emit(Event(0));
        Assert.True(sink.Entered.Wait(TimeSpan.FromSeconds(10)), "the writer took the first record");

        // the writer is held inside the sink: the queue fills, and what comes after it is dropped
        for (int i = 1; i <= OutputPipeline.QueueCapacity + 10; i++)
        {
            pipeline.Emit(Event(i));
        }

        Assert.Equal(10, pipeline.Dropped);
        sink.Release();
        await pipeline.DisposeAsync();
        Assert.Equal(1 + OutputPipeline.QueueCapacity, sink.Written);
    }

    [Fact]
    public async Task An_intervals_summaries_are_all_written_even_beyond_the_queue()
    {
        OutputPipeline pipeline = Open();
        sink.Release();
        int count = OutputPipeline.QueueCapacity + 1000;
        var summaries = new List<FlowSummary>(count);
        for (int i = 0; i < count; i++)
        {
            summaries.Add(new FlowSummary(
                7, 4, FlowProtocol.Udp, FlowAddress.FromIPAddress(IPAddress.Parse("127.20.0.1")), (ushort)(i % 65535), 1,
                new FlowCounters(1, 60, 32), default, 1, 2, 0, 3));
        }

        pipeline.Emit(summaries);
        await pipeline.DisposeAsync();

        Assert.Equal(0, pipeline.Dropped);
        Assert.Equal(count, sink.Written);
        Assert.Equal(count, pipeline.Written(RecordKind.FlowSummary));
    }

    private OutputPipeline Open() =>
        new([sink], new AlertEnricher(engines, new ProcessDirectory(TimeSpan.FromMinutes(1)), TimeSpan.Zero), new NoCgroups(), _ => null);

    private static RuntimeEvent Event(int i) =>
        new(DateTimeOffset.UnixEpoch.AddSeconds(i), RuntimeEventKind.ExecCreate, "c0ffee", Command: "sh");

    private sealed class NoCgroups : ICgroupDirectory
    {
        public string? PathOf(ulong cgroupId) => null;
    }

    /// <summary>Holds the writer inside its first write until released; counts what it is given.</summary>
    private sealed class HeldSink : IRecordSink
    {
        private readonly ManualResetEventSlim released = new();
        private int written;

        public ManualResetEventSlim Entered { get; } = new();

        public int Written => Volatile.Read(ref written);

        public string Name => "held";

        public long Lost => 0;

        public string? LastError => null;

        public void Release() => released.Set();

        public void Write(RecordKind kind, ReadOnlySpan<byte> jsonLine, object record)
        {
            Entered.Set();
            released.Wait();
            Interlocked.Increment(ref written);
        }

        public void Dispose()
        {
        }
    }
}
