using OneWaySensor.Linux.Interop;

namespace OneWaySensor.Linux.Kernel;

/// <summary>
/// A BPF ring buffer that another process pinned on bpffs, mapped for
/// reading in place the way <see cref="EbpfProgram.MapRing"/> maps the
/// sensor's own, and read with the same <see cref="RingBufferReader"/>. The
/// drain benchmark reads its producer's ring through it. The reader's
/// pointers are valid until this is disposed.
/// </summary>
internal sealed class PinnedRing : IDisposable
{
    private readonly PinnedRingHandle handle;

    private PinnedRing(PinnedRingHandle handle, in NativeRing ring)
    {
        this.handle = handle;
        Reader = new RingBufferReader(ring);
    }

    public RingBufferReader Reader { get; }

    /// <summary>Opens and maps the ring buffer pinned at <paramref name="path"/>; throws <see cref="SensorException"/> when it cannot.</summary>
    public static PinnedRing Open(string path)
    {
        NativeError.Check(NativeMethods.PinnedRingOpen(path, out PinnedRingHandle handle, out NativeRing ring), $"opening the ring buffer pinned at {path}");
        return new PinnedRing(handle, ring);
    }

    /// <summary>Waits for the producer's wake-up; false on timeout.</summary>
    public bool WaitForRecords(int timeoutMs) =>
        NativeError.Check(NativeMethods.PinnedRingWait(handle, timeoutMs), "waiting on the ring buffer") > 0;

    public void Dispose() => handle.Dispose();
}
