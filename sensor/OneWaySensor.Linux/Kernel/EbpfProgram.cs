using OneWaySensor.Configuration;
using OneWaySensor.Linux.Interop;
using OneWaySensor.Linux.Isolation;

namespace OneWaySensor.Linux.Kernel;

/// <summary>
/// The loaded kernel side: both cgroup_skb programs, the flow map, the ring
/// buffer and the counters, through libonewaysensor. Disposing detaches the
/// programs and frees every kernel object but the pinned maps (the programs
/// are links, never pinned, so they also vanish if this process dies; the
/// flow map and the deny set may be pinned, to outlive a restart).
/// </summary>
internal sealed unsafe class EbpfProgram : IDisposable
{
    private readonly SensorHandle handle;

    private EbpfProgram(SensorHandle handle, int flowMapEntries)
    {
        this.handle = handle;
        FlowMapEntries = flowMapEntries;
    }

    public int FlowMapEntries { get; }

    /// <summary>Opens the embedded BPF object and sizes its maps; needs no privilege.</summary>
    public static EbpfProgram Open(SensorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var native = new NativeOptions
        {
            FlowMapEntries = (uint)options.FlowMapEntries,
            RingBufferBytes = (uint)options.RingBufferBytes,
            RingBufferWakeupBytes = (ulong)options.RingBufferWakeupBytes,
        };
        NativeError.Check(NativeMethods.Open(native, out SensorHandle handle), "opening the BPF object");
        return new EbpfProgram(handle, options.FlowMapEntries);
    }

    public void Load() => NativeError.Check(NativeMethods.Load(handle), "loading the eBPF programs");

    /// <summary>
    /// Before <see cref="Load"/>: pins the deny set and its gate in
    /// <paramref name="directory"/>, reusing maps pinned there before. False
    /// when the directory's parent is not bpffs (isolation is then unavailable);
    /// throws <see cref="SensorException"/> when the pins are another version's.
    /// </summary>
    public bool PinIsolation(string directory)
    {
        const int ENOENT = 2, ESTALE = 116, ENOTSUP = 95;
        int result = NativeMethods.IsolationPin(handle, directory);
        return result switch
        {
            0 => true,
            -ENOTSUP or -ENOENT => false,
            -ESTALE => throw new SensorException(DenySet.StaleMessage(directory), ESTALE),
            _ => throw new SensorException($"pinning the deny set in {directory}: {NativeError.Describe(result)}", -result),
        };
    }

    /// <summary>
    /// Before <see cref="Load"/>: pins the flow map in <paramref name="directory"/>,
    /// reusing the map pinned there, and holds the directory for this sensor's
    /// lifetime. Says how it went; throws <see cref="SensorException"/> only
    /// for what the caller cannot work around.
    /// </summary>
    public FlowPinResult PinFlows(string directory)
    {
        const int EBUSY = 16, ENOTSUP = 95, ENOENT = 2;
        int result = NativeMethods.PinFlows(handle, directory, out int replaced);
        return result switch
        {
            0 => replaced != 0 ? FlowPinResult.Replaced : FlowPinResult.Pinned,
            -EBUSY => FlowPinResult.HeldByAnother,
            -ENOTSUP or -ENOENT => FlowPinResult.NotOnBpffs,
            _ => throw new SensorException($"pinning the flow map in {directory}: {NativeError.Describe(result)}", -result),
        };
    }

    /// <summary>After <see cref="Load"/>: a handle on the programs' own deny set (pinned or not).</summary>
    public DenySet OpenDenySet()
    {
        NativeError.Check(NativeMethods.IsolationOf(handle, out DenySetHandle set), "opening the deny set");
        return new DenySet(set);
    }

    /// <summary>
    /// Removes the deny set's pins when it is empty and no other sensor uses
    /// them: true when removed, false when kept, null when that failed (the
    /// pins stay, which is harmless: the next clean stop removes them).
    /// </summary>
    public bool? UnpinIsolationIfEmpty()
    {
        int result = NativeMethods.IsolationUnpinIfEmpty(handle);
        return result >= 0 ? result > 0 : null;
    }

    /// <summary>After <see cref="Load"/>: whether reading the maps needs CAP_BPF on this kernel (probed on a thread without capabilities).</summary>
    public bool MapsNeedBpfCapability()
    {
        int result = NativeMethods.MapsNeedCapability(handle);
        NativeError.Check(result, "probing whether the maps can be read without capabilities");
        return result == 1;
    }

    public void Attach(string cgroupPath) =>
        NativeError.Check(NativeMethods.Attach(handle, cgroupPath), $"attaching to cgroup {cgroupPath}");

    public void Detach() => NativeError.Check(NativeMethods.Detach(handle), "detaching");

    public RingBufferReader MapRing()
    {
        NativeError.Check(NativeMethods.RingMap(handle, out NativeRing ring), "mapping the ring buffer");
        return new RingBufferReader(ring);
    }

    /// <summary>Waits for the kernel's wake-up; false on timeout.</summary>
    public bool WaitForRecords(int timeoutMs) =>
        NativeError.Check(NativeMethods.RingWait(handle, timeoutMs), "waiting on the ring buffer") > 0;

    /// <summary>
    /// Moves the counts that sockets hold into the flow map (the kernel's hot
    /// path counts in socket-local storage); flows it has to create again send
    /// their flow-open records, so drain the ring after it, then read the map.
    /// </summary>
    public void FlushSockets() =>
        _ = NativeError.Check(NativeMethods.FlowsFlush(handle), "moving the sockets' counts into the flow map");

    /// <summary>Reads the whole flow map into the spans; returns how many entries were filled.</summary>
    public int ReadFlows(Span<FlowKeyRecord> keys, Span<FlowStatsRecord> values)
    {
        if (keys.Length != values.Length)
        {
            throw new ArgumentException("keys and values must be the same length", nameof(values));
        }

        fixed (FlowKeyRecord* keyPointer = keys)
        fixed (FlowStatsRecord* valuePointer = values)
        {
            NativeError.Check(NativeMethods.FlowsRead(handle, keyPointer, valuePointer, (uint)keys.Length, out uint count), "reading the flow map");
            return (int)count;
        }
    }

    /// <summary>Deletes flows from the kernel's map, returning their last counters (found[i] is 0 when already gone).</summary>
    public void TakeFlows(ReadOnlySpan<FlowKeyRecord> keys, Span<FlowStatsRecord> values, Span<byte> found)
    {
        fixed (FlowKeyRecord* keyPointer = keys)
        fixed (FlowStatsRecord* valuePointer = values)
        fixed (byte* foundPointer = found)
        {
            NativeError.Check(NativeMethods.FlowsTake(handle, keyPointer, valuePointer, foundPointer, (uint)keys.Length), "deleting flows");
        }
    }

    /// <summary>Size (member null) or member offset of a shim struct, for the mirror checks.</summary>
    public static int NativeLayout(string structName, string? memberName) => NativeMethods.NativeLayout(structName, memberName);

    /// <summary>The kernel's per-CPU counters, summed, indexed by <see cref="KernelCounter"/>.</summary>
    public void ReadCounters(Span<ulong> values)
    {
        fixed (ulong* pointer = values)
        {
            NativeError.Check(NativeMethods.CountersRead(handle, pointer, (uint)values.Length), "reading counters");
        }
    }

    /// <summary>A struct's size as the object's BTF records it (negative errno when absent).</summary>
    public int BtfStructSize(string structName) => NativeMethods.BtfStructSize(handle, structName);

    /// <summary>A member's byte offset as the object's BTF records it (negative errno when absent).</summary>
    public int BtfMemberOffset(string structName, string memberName) =>
        NativeMethods.BtfMemberOffset(handle, structName, memberName);

    /// <summary>How many members a struct has in the object's BTF (negative errno when absent).</summary>
    public int BtfMemberCount(string structName) => NativeMethods.BtfMemberCount(handle, structName);

    /// <summary>An enumerator's value as the object's BTF records it, or null when absent.</summary>
    public long? BtfEnumValue(string enumName, string enumeratorName) =>
        NativeMethods.BtfEnumValue(handle, enumName, enumeratorName, out long value) == 0 ? value : null;

    public static ulong MonotonicNow() => NativeMethods.MonotonicNs();

    public static MonotonicClock CurrentClock() =>
        MonotonicClock.FromNow(NativeMethods.MonotonicNs(), Flows.UnixTime.FromDateTimeOffset(DateTimeOffset.UtcNow));

    public void Dispose() => handle.Dispose();
}
