using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using OneWaySensor.Flows;
using OneWaySensor.Linux.Kernel;

namespace OneWaySensor.Bench;

/// <summary>
/// The user-space cost of a kernel flow-open record: framing and reading it
/// (<see cref="ParseOnly"/>), and framing, dispatching and updating the flow
/// table with it (<see cref="ParseAndDispatch"/>). Results are per record.
/// </summary>
/// <remarks>
/// The input is built by <see cref="RecordWriter.FlowOpenBatch"/>, the
/// builder the tests use, and the dispatcher by
/// <see cref="FlowRecordHandler.CreateDispatcher"/>, the path the sensor runs.
/// <para>
/// <c>OperationsPerInvoke</c> must be a constant, so every invocation reads
/// <see cref="RecordsPerInvoke"/> records: the batch, replayed
/// <c>RecordsPerInvoke / BatchSize</c> times.
/// </para>
/// <para>
/// Steady state: <see cref="Setup"/> dispatches the batch once, so every flow
/// of the batch is already in the <see cref="FlowTable"/> when measuring
/// starts. Each measured <c>FlowTable.Open</c> then finds its key with a
/// timestamp that is not newer and returns early ("a poll already read this
/// incarnation"): it measures the lookup of a known flow, not the insertion
/// of a new one. As the dictionary is filled before measuring, it never grows
/// inside the measurement, and the measured path allocates nothing.
/// </para>
/// </remarks>
[MemoryDiagnoser]
public class RecordDispatchBenchmarks
{
    /// <summary>Records read per invocation, whatever the batch size.</summary>
    public const int RecordsPerInvoke = 4096;

    private byte[] batch = [];
    private int replays;
    private RecordDispatcher dispatcher = null!;

    /// <summary>Records per buffer: a few wake-ups' worth, and a large ring buffer drain.</summary>
    [Params(256, 4096)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (BatchSize <= 0 || RecordsPerInvoke % BatchSize != 0)
        {
            throw new InvalidOperationException($"BatchSize {BatchSize} must divide {RecordsPerInvoke}");
        }

        replays = RecordsPerInvoke / BatchSize;
        batch = RecordWriter.FlowOpenBatch(BatchSize);
        dispatcher = new FlowRecordHandler(new FlowTable(BatchSize)).CreateDispatcher();

        // fill the table now: the measured invocations see only existing flows
        int read = dispatcher.DispatchAll(batch);
        if (read != BatchSize || dispatcher.Counters.Skipped != 0)
        {
            throw new InvalidOperationException($"setup dispatched {read} of {BatchSize} records, skipped {dispatcher.Counters.Skipped}");
        }
    }

    /// <summary>RecordReader framing and a FlowOpenRecord read per record; no dispatch, no table.</summary>
    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public ulong ParseOnly()
    {
        ulong sum = 0;
        for (int i = 0; i < replays; i++)
        {
            ReadOnlySpan<byte> buffer = batch;
            while (RecordReader.TryRead(ref buffer, out _, out ReadOnlySpan<byte> record) == RecordReader.Result.Ok)
            {
                sum += MemoryMarshal.Read<FlowOpenRecord>(record).PayloadBytes;
            }
        }

        return sum;
    }

    /// <summary>The sensor's path: framing, dispatch by kind, conversion, FlowTable.Open.</summary>
    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public int ParseAndDispatch()
    {
        int read = 0;
        for (int i = 0; i < replays; i++)
        {
            read += dispatcher.DispatchAll(batch);
        }

        return read;
    }
}
