using System.Net;
using System.Runtime.InteropServices;
using OneWaySensor.Flows;
using OneWaySensor.Linux.Kernel;
using OneWaySensor.Processes;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Linux;

/// <summary>
/// The record reader and dispatcher on input the kernel should never send:
/// random bytes, records cut at every byte, impossible sizes, unknown kinds
/// and versions. Whatever comes, nothing throws, every sample ends in exactly
/// one counter, no handler sees a byte outside its sample, and reading
/// allocates nothing.
/// </summary>
public sealed class RecordFuzzTests
{
    private static readonly RecordKind[] Kinds = [RecordKind.FlowOpen, RecordKind.ProcessExec, RecordKind.ProcessExit];

    [Fact]
    public void Random_samples_never_throw_and_each_lands_in_one_counter()
    {
        var table = new FlowTable();
        var events = new List<ProcessEvent>();
        RecordDispatcher dispatcher = new FlowRecordHandler(table, events.Add).CreateDispatcher();
        ulong samples = 0;
        Fuzz.Cases(2000, random =>
        {
            byte[] sample = random.Next(3) == 0 ? Fuzz.Mutate(random, ValidRecord(random)) : Fuzz.Bytes(random, random.Next(400));
            dispatcher.Dispatch(sample);
            samples++;

            DispatchCounters counters = dispatcher.Counters;
            Assert.Equal(samples, counters.Dispatched + counters.Skipped);
            Assert.Equal(0ul, counters.HandlerFailed); // a handler that read past its record would fail here
        });

        Assert.True((ulong)table.Count + (ulong)events.Count <= dispatcher.Counters.Dispatched);
    }

    [Fact]
    public void A_record_cut_at_every_byte_is_a_short_record()
    {
        var random = new Random(1);
        foreach (RecordKind kind in Kinds)
        {
            byte[] record = ValidRecord(random, kind);
            RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable(), _ => { }).CreateDispatcher();
            for (int length = 0; length < record.Length; length++)
            {
                dispatcher.Dispatch(record.AsSpan(0, length));
            }

            Assert.Equal((ulong)record.Length, dispatcher.Counters.ShortRecord);
            Assert.Equal(0ul, dispatcher.Counters.Dispatched);
            dispatcher.Dispatch(record);
            Assert.Equal(1ul, dispatcher.Counters.Dispatched);
        }
    }

    [Fact]
    public void A_batch_cut_at_every_byte_yields_the_whole_records_before_the_cut()
    {
        byte[] batch = RecordWriter.FlowOpenBatch(4);
        for (int cut = 0; cut <= batch.Length; cut++)
        {
            RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable()).CreateDispatcher();
            int whole = cut / FlowOpenRecord.ByteSize;

            Assert.Equal(whole, dispatcher.DispatchAll(batch.AsSpan(0, cut)));
            Assert.Equal((ulong)whole, dispatcher.Counters.Dispatched);
            Assert.Equal(cut % FlowOpenRecord.ByteSize == 0 ? 0ul : 1ul, dispatcher.Counters.ShortRecord);
        }
    }

    [Fact]
    public void Impossible_sizes_are_oversized_or_malformed_whatever_the_buffer_holds()
    {
        RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable()).CreateDispatcher();
        ulong oversized = 0;
        ulong malformed = 0;
        Fuzz.Cases(1000, random =>
        {
            bool tooLarge = random.Next(2) == 0;
            uint size = tooLarge
                ? (uint)random.NextInt64(RecordReader.MaxRecordSize + 1L, uint.MaxValue + 1L)
                : (uint)random.Next(RecordHeader.ByteSize);
            byte[] sample = ValidRecord(random);
            MemoryMarshal.Write(sample.AsSpan(4), in size);

            dispatcher.Dispatch(sample);
            Assert.Equal(0, dispatcher.DispatchAll(sample)); // in a batch the rest cannot be framed: one count, then stop
            if (tooLarge)
            {
                oversized += 2;
            }
            else
            {
                malformed += 2;
            }
        });

        Assert.Equal(oversized, dispatcher.Counters.Oversized);
        Assert.Equal(malformed, dispatcher.Counters.Malformed);
        Assert.Equal(0ul, dispatcher.Counters.Dispatched);
    }

    [Fact]
    public void Every_unregistered_kind_and_every_other_version_has_its_counter()
    {
        RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable(), _ => { }).CreateDispatcher();
        byte[] record = ValidRecord(new Random(2), RecordKind.FlowOpen);
        ulong unknown = 0;
        for (int kind = 0; kind <= ushort.MaxValue; kind++)
        {
            if (Array.IndexOf(Kinds, (RecordKind)kind) >= 0)
            {
                continue;
            }

            MemoryMarshal.Write(record, (ushort)kind);
            dispatcher.Dispatch(record);
            unknown++;
        }

        MemoryMarshal.Write(record, (ushort)RecordKind.FlowOpen);
        for (int version = 0; version <= ushort.MaxValue; version++)
        {
            if (version != RecordHeader.CurrentVersion)
            {
                MemoryMarshal.Write(record.AsSpan(2), (ushort)version);
                dispatcher.Dispatch(record);
            }
        }

        Assert.Equal(unknown, dispatcher.Counters.UnknownKind);
        Assert.Equal((ulong)ushort.MaxValue, dispatcher.Counters.BadVersion);
        Assert.Equal(0ul, dispatcher.Counters.Dispatched);
    }

    [Fact]
    public void A_handler_sees_only_its_declared_bytes_of_the_sample()
    {
        var dispatcher = new RecordDispatcher();
        int sampleLength = 0;
        byte[] current = [];
        foreach (RecordKind kind in Kinds)
        {
            dispatcher.Register(kind, RecordHeader.ByteSize, record =>
            {
                Assert.True(current.AsSpan(0, sampleLength).Overlaps(record, out int offset), "the record is a slice of the sample");
                Assert.Equal(0, offset);
                Assert.Equal(MemoryMarshal.Read<RecordHeader>(record).Size, (uint)record.Length);
                Assert.InRange(record.Length, RecordHeader.ByteSize, sampleLength);
            });
        }

        Fuzz.Cases(2000, random =>
        {
            current = Fuzz.Mutate(random, ValidRecord(random));
            sampleLength = current.Length;
            dispatcher.Dispatch(current);
            dispatcher.DispatchAll(current);
        });

        Assert.Equal(0ul, dispatcher.Counters.HandlerFailed);
        Assert.True(dispatcher.Counters.Dispatched > 0, "some mutations keep a readable record");
    }

    [Fact]
    public void Reading_hostile_input_allocates_nothing()
    {
        var dispatcher = new RecordDispatcher();
        foreach (RecordKind kind in Kinds)
        {
            dispatcher.Register(kind, RecordHeader.ByteSize, static _ => { });
        }

        var random = new Random(3);
        byte[][] samples = [.. Enumerable.Range(0, 500).Select(_ => Fuzz.Mutate(random, ValidRecord(random)))];
        dispatcher.Dispatch(samples[0]); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (byte[] sample in samples)
        {
            dispatcher.Dispatch(sample);
            dispatcher.DispatchAll(sample);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>A well-formed record of a random (or the given) kind, as the kernel writes it.</summary>
    private static byte[] ValidRecord(Random random, RecordKind? kind = null)
    {
        switch (kind ?? Kinds[random.Next(Kinds.Length)])
        {
            case RecordKind.FlowOpen:
                var open = new byte[FlowOpenRecord.ByteSize];
                FlowKeyRecord key = RecordWriter.Key((ulong)random.NextInt64(), FlowProtocol.Tcp, IPAddress.Loopback, (ushort)random.Next(65536), IPAddress.IPv6Loopback, 443);
                RecordWriter.FlowOpen(open, key, (ulong)random.NextInt64(), (byte)random.Next(2), tcpFlags: (byte)random.Next(256), ownerTgid: (uint)random.Next(), ownerComm: "curl");
                return open;
            case RecordKind.ProcessExec:
                var exec = new byte[ProcessExecRecord.ByteSize];
                RecordWriter.ProcessExec(exec, (ulong)random.NextInt64(), (ulong)random.NextInt64(), (uint)random.Next(), (uint)random.Next(), "sh", "/bin/sh");
                return exec;
            default:
                var exit = new byte[ProcessExitRecord.ByteSize];
                RecordWriter.ProcessExit(exit, (ulong)random.NextInt64(), (ulong)random.NextInt64(), (uint)random.Next(), random.Next(), "sh");
                return exit;
        }
    }
}
