using BenchmarkDotNet.Attributes;
using OneWaySensor.Alerts;
using OneWaySensor.Detection;
using OneWaySensor.Flows;

namespace OneWaySensor.Bench;

/// <summary>
/// What each poll costs per flow: folding a source's cumulative reading into
/// the flow table (<see cref="Observe"/>, the path every source shares; must
/// allocate 0 bytes) and the detection engine's evaluation of the table
/// (<see cref="Evaluate"/>: every rule over every destination; its
/// allocations are measured, not hidden). Results are per flow.
/// </summary>
[MemoryDiagnoser]
public class FlowAggregationBenchmarks
{
    private const long Second = 1_000_000_000;
    private FlowSample[] samples = [];
    private FlowTable table = null!;
    private DetectionEngine engine = null!;
    private long now;

    [Params(1_000, 20_000)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        now = 1_800_000_000 * Second;
        samples = new FlowSample[Flows];
        for (int i = 0; i < Flows; i++)
        {
            // a quarter one-way, the rest answered; destinations shared by 8 flows each
            var key = new FlowKey((ulong)(i % 64) + 1, 4, FlowProtocol.Tcp, 0x0100000a + ((UInt128)i << 8), (ushort)(10000 + (i % 50000)), 0x0200000a + ((UInt128)(i / 8) << 8), 443);
            var tx = new FlowCounters(10, 1000, 600);
            FlowCounters rx = i % 4 == 0 ? default : new FlowCounters(8, 800, 400);
            samples[i] = new FlowSample(key, tx, rx, 0x1a, (byte)(i % 4 == 0 ? 0 : 0x12), FlowInitiator.Local, now - (120 * Second), now);
        }

        table = new FlowTable(Flows);
        var hosts = new BenchHosts();
        engine = new DetectionEngine(60, new DetectionOptions(), hosts, hosts);
        Observe();
        engine.Evaluate(table, now);
    }

    [Benchmark(OperationsPerInvoke = 1)]
    public int Observe()
    {
        table.BeginPoll();
        foreach (FlowSample sample in samples)
        {
            table.Observe(sample);
        }

        return table.Count;
    }

    [Benchmark]
    public ulong Evaluate()
    {
        now += Second;
        engine.Evaluate(table, now);
        return engine.AlertsRaised;
    }
}
