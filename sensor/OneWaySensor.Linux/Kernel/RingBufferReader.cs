using System.Runtime.CompilerServices;
using OneWaySensor.Linux.Interop;

namespace OneWaySensor.Linux.Kernel;

/// <summary>
/// Consumes the BPF ring buffer in place, with no copy and no system call
/// per record. Each sample in the ring is framed by an 8-byte header:
/// <code>
///  0                 4        8
///  | len | BUSY | DISCARD | pg_off | sample (len bytes) | pad to 8 |
/// </code>
/// The data area is mapped twice in a row, so a sample that crosses the end
/// of the ring is still contiguous. Samples are valid only while the handler
/// runs: the consumer position moves past them afterwards.
/// </summary>
internal sealed unsafe class RingBufferReader
{
    private const uint BusyBit = 1u << 31;
    private const uint DiscardBit = 1u << 30;
    private const int SampleHeaderSize = 8;

    // space goes back to the kernel every 1/256 of the ring (16 KiB of 4 MiB): see Drain
    private const ulong ReleaseFraction = 256;

    private readonly ulong* consumerPosition;
    private readonly ulong* producerPosition;
    private readonly byte* data;
    private readonly ulong mask;
    private readonly ulong releaseBytes;

    public RingBufferReader(in NativeRing ring)
    {
        consumerPosition = ring.ConsumerPosition;
        producerPosition = ring.ProducerPosition;
        data = ring.Data;
        mask = ring.Mask;
        releaseBytes = (mask + 1) / ReleaseFraction;
    }

    /// <summary>Samples whose framing was impossible (longer than the ring); reading stopped there.</summary>
    public ulong Corrupt { get; private set; }

    /// <summary>Hands every committed sample to the dispatcher; returns how many were read.</summary>
    public int Drain(RecordDispatcher dispatcher, int maxSamples = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        int read = 0;
        ulong consumer = Volatile.Read(ref *consumerPosition);
        ulong released = consumer;
        ulong producer = Volatile.Read(ref *producerPosition);
        while (consumer < producer && read < maxSamples)
        {
            byte* sample = data + (consumer & mask);
            uint frame = Volatile.Read(ref Unsafe.AsRef<uint>(sample));
            if ((frame & BusyBit) != 0)
            {
                break; // the kernel is still writing it
            }

            uint length = frame & ~(BusyBit | DiscardBit);
            if (length > mask + 1 - SampleHeaderSize)
            {
                Corrupt++;
                break;
            }

            if ((frame & DiscardBit) == 0)
            {
                dispatcher.Dispatch(new ReadOnlySpan<byte>(sample + SampleHeaderSize, (int)length));
            }

            consumer += (length + SampleHeaderSize + 7) & ~7ul;
            read++;

            // hand the space back as we go, so a long drain never blocks the kernel, but in
            // steps: the kernel reads this position on every reserve, from another CPU, and a
            // write per sample moved its cache line between the CPUs once a record (bench/drain)
            if (consumer - released >= releaseBytes)
            {
                Volatile.Write(ref *consumerPosition, consumer);
                released = consumer;
            }

            if (consumer >= producer)
            {
                producer = Volatile.Read(ref *producerPosition);
            }
        }

        if (consumer != released)
        {
            Volatile.Write(ref *consumerPosition, consumer);
        }

        return read;
    }
}
