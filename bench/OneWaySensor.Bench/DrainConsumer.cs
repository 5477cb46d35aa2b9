using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using OneWaySensor.Flows;
using OneWaySensor.Linux.Kernel;

namespace OneWaySensor.Bench;

/// <summary>
/// The C# consumer of the drain benchmark (bench/drain/run.sh): the host's
/// own path on the producer's pinned ring buffer, as <c>EbpfFlowSource</c>
/// runs it. The ring is mapped in place by the shim, read by
/// <see cref="RingBufferReader"/>, each record dispatched by the
/// <see cref="RecordDispatcher"/> that <see cref="FlowRecordHandler"/> builds
/// into a <see cref="FlowTable"/> sized as the sensor's. The commands and
/// output lines are those of the C floor, bench/drain/consumer.c:
/// <code>
///   drain live DIR                  wait (100 ms time-out) and drain until SIGTERM or SIGINT
///   drain full DIR REPS COMMAND...  REPS times: run COMMAND (it fills the ring), time draining it
/// </code>
/// </summary>
internal static class DrainConsumer
{
    // EbpfFlowSource waits at most this long before it drains anyway
    private const int WaitMs = 100;

    /// <summary>The table sized as the sensor sizes it, for its kernel map's default size.</summary>
    private static readonly int SensorFlowMapEntries = new Configuration.SensorOptions().FlowMapEntries;

    public static int Run(string[] args)
    {
        if (args.Length == 2 && args[0] == "live")
        {
            return Live(args[1]);
        }

        if (args.Length == 2 && args[0] is "full" or "full-no-table")
        {
            return Full(args[1], table: args[0] == "full");
        }

        Console.Error.WriteLine("usage: OneWaySensor.Bench drain live|full|full-no-table DIR");
        return 2;
    }

    private static int Live(string dir)
    {
        using PinnedRing ring = PinnedRing.Open(Path.Combine(dir, "ring"));
        var table = new FlowTable(expectedFlows: SensorFlowMapEntries);
        RecordDispatcher dispatcher = Dispatcher(table);
        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        Console.WriteLine("ready");
        long records = 0;
        while (!stop.IsCancellationRequested)
        {
            // the source's loop: wait for a wake-up or the time-out, then drain whatever is there
            ring.WaitForRecords(WaitMs);
            records += ring.Reader.Drain(dispatcher);
        }

        records += ring.Reader.Drain(dispatcher);
        Report(records, dispatcher, table);
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static int Full(string dir, bool table)
    {
        using PinnedRing ring = PinnedRing.Open(Path.Combine(dir, "ring"));
        var flows = new FlowTable(expectedFlows: SensorFlowMapEntries);
        var fieldsOnly = new FieldReader();
        RecordDispatcher dispatcher = table ? Dispatcher(flows) : fieldsOnly.CreateDispatcher();
        Console.WriteLine("ready");
        long records = 0;
        while (Console.ReadLine() is not null)
        {
            long start = Stopwatch.GetTimestamp();
            int read = ring.Reader.Drain(dispatcher);
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            records += read;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"records={read} ns_per_record={elapsed.TotalNanoseconds / Math.Max(read, 1):F2}"));
        }

        Report(records, dispatcher, flows);
        return 0;
    }

    private static RecordDispatcher Dispatcher(FlowTable table)
    {
        // as EbpfFlowSource: the handler converts record times with the clock taken at start
        var handler = new FlowRecordHandler(table) { Clock = EbpfProgram.CurrentClock() };
        return handler.CreateDispatcher();
    }

    private static void Report(long records, RecordDispatcher dispatcher, FlowTable table) =>
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"records={records} malformed={dispatcher.Counters.Skipped} dispatched={dispatcher.Counters.Dispatched} flows={table.Count}"));

    /// <summary>
    /// The C floor's per-record work on the host's reader and dispatcher:
    /// read the fields the flow handler reads into a checksum, keep no table.
    /// It splits the gap to C into transport and framing against the flow table.
    /// </summary>
    private sealed class FieldReader
    {
        public ulong Checksum { get; private set; }

        public RecordDispatcher CreateDispatcher()
        {
            var dispatcher = new RecordDispatcher();
            dispatcher.Register(RecordKind.FlowOpen, FlowOpenRecord.ByteSize, OnFlowOpen);
            return dispatcher;
        }

        private void OnFlowOpen(ReadOnlySpan<byte> record)
        {
            ref readonly FlowOpenRecord open = ref RecordDispatcher.View<FlowOpenRecord>(record);
            ReadOnlySpan<ulong> local = MemoryMarshal.Cast<byte, ulong>(open.Key.LocalAddr);
            ReadOnlySpan<ulong> remote = MemoryMarshal.Cast<byte, ulong>(open.Key.RemoteAddr);
            ulong sum = open.Key.CgroupId ^ open.Key.IpVersion ^ open.Key.Protocol ^ open.Key.LocalPort ^ open.Key.RemotePort
                ^ local[0] ^ local[1] ^ remote[0] ^ remote[1] ^ open.Initiator ^ open.TcpFlags
                ^ open.IpBytes ^ open.PayloadBytes ^ open.Header.TimestampNs;
            if (open.OwnerKnown != 0)
            {
                sum += open.Owner.Tgid ^ open.Owner.Pid ^ open.Owner.Comm[0];
            }

            Checksum += sum;
        }
    }
}
