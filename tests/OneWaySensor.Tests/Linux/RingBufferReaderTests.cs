using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OneWaySensor.Flows;
using OneWaySensor.Linux.Interop;
using OneWaySensor.Linux.Kernel;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Linux;

/// <summary>
/// The ring reader on a ring laid out in ordinary memory the way the kernel
/// lays out a BPF ring buffer: positions, 8-byte sample headers with the
/// busy and discard bits, samples padded to 8 bytes.
/// </summary>
public sealed unsafe class RingBufferReaderTests : IDisposable
{
    private const int RingSize = 64 * 1024;
    private const uint BusyBit = 1u << 31;
    private const uint DiscardBit = 1u << 30;

    private readonly ulong* positions = (ulong*)NativeMemory.AllocZeroed(2, sizeof(ulong));
    private readonly byte* data = (byte*)NativeMemory.AllocZeroed(2 * RingSize); // the kernel maps the data twice
    private ulong producer;

    public void Dispose()
    {
        NativeMemory.Free(positions);
        NativeMemory.Free(data);
    }

    [Fact]
    public void Committed_samples_are_dispatched_discarded_ones_skipped_and_busy_ones_waited_for()
    {
        var table = new FlowTable();
        RecordDispatcher dispatcher = new FlowRecordHandler(table).CreateDispatcher();
        Produce(FlowOpen(1), flags: 0);
        Produce(FlowOpen(2), flags: DiscardBit);
        Produce(FlowOpen(3), flags: 0);
        ulong beforeBusy = producer;
        Produce(FlowOpen(4), flags: BusyBit);
        RingBufferReader reader = Reader();

        Assert.Equal(3, reader.Drain(dispatcher));
        Assert.Equal(2, table.Count);
        Assert.Equal(beforeBusy, positions[0]);

        // the kernel commits the busy one: the next drain reads it
        Unsafe.AsRef<uint>(data + (beforeBusy % RingSize)) &= ~BusyBit;
        Assert.Equal(1, reader.Drain(dispatcher));
        Assert.Equal(3, table.Count);
        Assert.Equal(producer, positions[0]);
        Assert.Equal(3ul, dispatcher.Counters.Dispatched);
    }

    [Fact]
    public void Samples_that_cross_the_end_of_the_ring_are_read_whole()
    {
        var table = new FlowTable();
        RecordDispatcher dispatcher = new FlowRecordHandler(table).CreateDispatcher();
        RingBufferReader reader = Reader();
        int perLap = RingSize / (FlowOpenRecord.ByteSize + 8);
        for (int lap = 0; lap < 3; lap++)
        {
            for (int i = 0; i < perLap; i++)
            {
                Produce(FlowOpen((ushort)((lap * perLap) + i + 1)), flags: 0);
            }

            Assert.Equal(perLap, reader.Drain(dispatcher));
        }

        Assert.Equal(3 * perLap, table.Count);
        Assert.Equal(0ul, dispatcher.Counters.Skipped);
    }

    [Fact]
    public void A_long_drain_hands_space_back_in_steps_and_all_of_it_at_the_end()
    {
        // the kernel reads the position on every reserve: published every 1/256 of the ring, not per sample
        const ulong Step = RingSize / 256;
        const int Samples = 400;
        ulong sampleBytes = (ulong)(FlowOpenRecord.ByteSize + 8 + 7) & ~7ul;
        var lags = new List<ulong>();
        var dispatcher = new RecordDispatcher();
        dispatcher.Register(RecordKind.FlowOpen, FlowOpenRecord.ByteSize, _ =>
        {
            ulong current = (ulong)lags.Count * sampleBytes;
            Assert.True(positions[0] <= current, "the position passed a sample still being read");
            lags.Add(current - positions[0]);
        });
        for (int i = 0; i < Samples; i++)
        {
            Produce(FlowOpen((ushort)(i + 1)), flags: 0);
        }

        Assert.Equal(Samples, Reader().Drain(dispatcher));
        Assert.Equal(producer, positions[0]);
        Assert.InRange(lags.Max(), Step - sampleBytes, Step - 1);
    }

    [Fact]
    public void A_sample_longer_than_the_ring_stops_the_drain_and_is_counted()
    {
        RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable()).CreateDispatcher();
        Unsafe.WriteUnaligned(data, (uint)(RingSize * 2));
        producer = 16;
        positions[1] = producer;
        RingBufferReader reader = Reader();

        Assert.Equal(0, reader.Drain(dispatcher));
        Assert.Equal(1ul, reader.Corrupt);
        Assert.Equal(0ul, positions[0]);
    }

    [Fact]
    public void A_ring_of_random_frames_drains_to_its_end_or_stops_at_a_busy_or_impossible_frame()
    {
        Fuzz.Cases(300, random =>
        {
            RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable()).CreateDispatcher();
            byte[] noise = Fuzz.Bytes(random, RingSize);
            for (int i = 0; i < RingSize; i++)
            {
                data[i] = data[RingSize + i] = noise[i];
            }

            // frames of random lengths and flags, some longer than the ring
            positions[0] = (ulong)random.Next(RingSize) & ~7ul;
            producer = positions[0] + (ulong)random.Next(RingSize + 1);
            positions[1] = producer;
            RingBufferReader reader = Reader();

            int read = reader.Drain(dispatcher);

            Assert.InRange(read, 0, RingSize / 8);
            Assert.Equal(0ul, dispatcher.Counters.HandlerFailed);
            Assert.True(dispatcher.Counters.Dispatched + dispatcher.Counters.Skipped <= (ulong)read);
            Assert.True(positions[0] >= producer || reader.Corrupt == 1 || IsBusy(positions[0]), "the drain stopped early only for a reason");
        });
    }

    private bool IsBusy(ulong position) => (Unsafe.ReadUnaligned<uint>(data + (position % RingSize)) & BusyBit) != 0;

    private RingBufferReader Reader() => new(new NativeRing
    {
        ConsumerPosition = positions,
        ProducerPosition = positions + 1,
        Data = data,
        Mask = RingSize - 1,
    });

    private static byte[] FlowOpen(ushort port)
    {
        var record = new byte[FlowOpenRecord.ByteSize];
        FlowKeyRecord key = RecordWriter.Key(5, FlowProtocol.Udp, System.Net.IPAddress.Loopback, port, System.Net.IPAddress.Loopback, 53);
        RecordWriter.FlowOpen(record, key, timestampNs: port);
        return record;
    }

    /// <summary>Writes a sample as the kernel would, into both mappings of the data area.</summary>
    private void Produce(byte[] sample, uint flags)
    {
        int offset = (int)(producer % RingSize);
        var framed = new byte[8 + sample.Length];
        Unsafe.WriteUnaligned(ref framed[0], (uint)sample.Length | flags);
        sample.CopyTo(framed, 8);
        for (int i = 0; i < framed.Length; i++)
        {
            data[(offset + i) % RingSize] = framed[i];
            data[RingSize + ((offset + i) % RingSize)] = framed[i];
        }

        producer += (ulong)((framed.Length + 7) & ~7);
        positions[1] = producer;
    }
}
