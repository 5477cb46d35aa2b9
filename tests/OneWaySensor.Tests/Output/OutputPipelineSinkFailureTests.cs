using OneWaySensor.Cgroups;
using OneWaySensor.Cli.Output;
using OneWaySensor.Containers;
using OneWaySensor.Flows;
using OneWaySensor.Processes;

namespace OneWaySensor.Tests.Output;

/// <summary>A sink that throws, against its promise, costs the sinks after it nothing; the throw is counted.</summary>
public sealed class OutputPipelineSinkFailureTests
{
    [Fact]
    public async Task A_sink_that_throws_does_not_keep_the_record_from_the_sinks_after_it()
    {
        var before = new CountingSink("stdout");
        var after = new CountingSink("export");
        await using var engines = new ContainerEngines([]);
        var enricher = new AlertEnricher(engines, new ProcessDirectory(TimeSpan.FromMinutes(1)), TimeSpan.Zero);
        var output = new OutputPipeline([before, new ThrowingSink(), after], enricher, new NoCgroups(), _ => null);

        output.Emit(new List<FlowSummary> { new(1, 4, FlowProtocol.Udp, 0, 53, 1, new FlowCounters(1, 60, 32), default, 1, 1, 0, 1) });
        await output.DisposeAsync();

        Assert.Equal(1, before.Records);
        Assert.Equal(1, after.Records);
        Assert.Equal(1, output.Failed);
        Assert.IsType<IOException>(output.FirstFailure);
    }

    private sealed class NoCgroups : ICgroupDirectory
    {
        public string? PathOf(ulong cgroupId) => null;
    }

    private sealed class CountingSink(string name) : IRecordSink
    {
        public int Records { get; private set; }

        public string Name => name;

        public long Lost => 0;

        public string? LastError => null;

        public void Write(RecordKind kind, ReadOnlySpan<byte> jsonLine, object record) => Records++;

        public void Dispose()
        {
        }
    }

    private sealed class ThrowingSink : IRecordSink
    {
        public string Name => "alerts_file";

        public long Lost => 0;

        public string? LastError => null;

        public void Write(RecordKind kind, ReadOnlySpan<byte> jsonLine, object record) => throw new IOException("a sink's own bug");

        public void Dispose()
        {
        }
    }
}
