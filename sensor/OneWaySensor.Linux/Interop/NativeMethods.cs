using System.Runtime.InteropServices;
using OneWaySensor.Linux.Kernel;

namespace OneWaySensor.Linux.Interop;

/// <summary>struct ows_options (native/ows.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeOptions
{
    public uint FlowMapEntries;
    public uint RingBufferBytes;
    public ulong RingBufferWakeupBytes;
}

/// <summary>struct ows_ring (native/ows.h): the ring buffer mapped into this process.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeRing
{
    public ulong* ConsumerPosition;
    public ulong* ProducerPosition;
    public byte* Data;
    public ulong Mask;
}

/// <summary>
/// Every export of libonewaysensor (native/ows.h). Each returns 0 or a
/// count on success and a negative errno on failure; see <see cref="NativeError"/>.
/// </summary>
internal static unsafe partial class NativeMethods
{
    private const string Library = "onewaysensor";

    [LibraryImport(Library, EntryPoint = "ows_open")]
    internal static partial int Open(in NativeOptions options, out SensorHandle sensor);

    [LibraryImport(Library, EntryPoint = "ows_load")]
    internal static partial int Load(SensorHandle sensor);

    [LibraryImport(Library, EntryPoint = "ows_attach", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Attach(SensorHandle sensor, string cgroupPath);

    [LibraryImport(Library, EntryPoint = "ows_detach")]
    internal static partial int Detach(SensorHandle sensor);

    [LibraryImport(Library, EntryPoint = "ows_ring_map")]
    internal static partial int RingMap(SensorHandle sensor, out NativeRing ring);

    [LibraryImport(Library, EntryPoint = "ows_ring_wait")]
    internal static partial int RingWait(SensorHandle sensor, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "ows_pinned_ring_open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int PinnedRingOpen(string path, out PinnedRingHandle ring, out NativeRing mapped);

    [LibraryImport(Library, EntryPoint = "ows_pinned_ring_wait")]
    internal static partial int PinnedRingWait(PinnedRingHandle ring, int timeoutMs);

    [LibraryImport(Library, EntryPoint = "ows_pinned_ring_close")]
    internal static partial void PinnedRingClose(IntPtr ring);

    [LibraryImport(Library, EntryPoint = "ows_flows_flush")]
    internal static partial int FlowsFlush(SensorHandle sensor);

    [LibraryImport(Library, EntryPoint = "ows_flows_read")]
    internal static partial int FlowsRead(SensorHandle sensor, FlowKeyRecord* keys, FlowStatsRecord* values, uint capacity, out uint count);

    [LibraryImport(Library, EntryPoint = "ows_flows_take")]
    internal static partial int FlowsTake(SensorHandle sensor, FlowKeyRecord* keys, FlowStatsRecord* values, byte* found, uint count);

    [LibraryImport(Library, EntryPoint = "ows_counters_read")]
    internal static partial int CountersRead(SensorHandle sensor, ulong* values, uint count);

    [LibraryImport(Library, EntryPoint = "ows_btf_struct_size", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int BtfStructSize(SensorHandle sensor, string structName);

    [LibraryImport(Library, EntryPoint = "ows_btf_member_offset", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int BtfMemberOffset(SensorHandle sensor, string structName, string memberName);

    [LibraryImport(Library, EntryPoint = "ows_btf_member_count", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int BtfMemberCount(SensorHandle sensor, string structName);

    [LibraryImport(Library, EntryPoint = "ows_btf_enum_value", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int BtfEnumValue(SensorHandle sensor, string enumName, string enumeratorName, out long value);

    [LibraryImport(Library, EntryPoint = "ows_native_layout", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int NativeLayout(string structName, string? memberName);

    [LibraryImport(Library, EntryPoint = "ows_monotonic_ns")]
    internal static partial ulong MonotonicNs();

    [LibraryImport(Library, EntryPoint = "ows_keep_only_capabilities")]
    internal static partial int KeepOnlyCapabilities(ulong keep);

    [LibraryImport(Library, EntryPoint = "ows_maps_need_capability")]
    internal static partial int MapsNeedCapability(SensorHandle sensor);

    [LibraryImport(Library, EntryPoint = "ows_pin_flows", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int PinFlows(SensorHandle sensor, string directory, out int replaced);

    [LibraryImport(Library, EntryPoint = "ows_isolation_pin", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int IsolationPin(SensorHandle sensor, string directory);

    [LibraryImport(Library, EntryPoint = "ows_isolation_of")]
    internal static partial int IsolationOf(SensorHandle sensor, out DenySetHandle set);

    [LibraryImport(Library, EntryPoint = "ows_isolation_unpin_if_empty")]
    internal static partial int IsolationUnpinIfEmpty(SensorHandle sensor);

    [LibraryImport(Library, EntryPoint = "ows_deny_set_open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int DenySetOpen(string directory, out DenySetHandle set);

    [LibraryImport(Library, EntryPoint = "ows_deny_set_add")]
    internal static partial int DenySetAdd(DenySetHandle set, ulong cgroupId, uint level, ulong sinceNs);

    [LibraryImport(Library, EntryPoint = "ows_deny_set_remove")]
    internal static partial int DenySetRemove(DenySetHandle set, ulong cgroupId, out IsolationRecord last);

    [LibraryImport(Library, EntryPoint = "ows_deny_set_read")]
    internal static partial int DenySetRead(DenySetHandle set, ulong* cgroupIds, IsolationRecord* values, uint capacity, out uint count);

    [LibraryImport(Library, EntryPoint = "ows_deny_set_enforcers")]
    internal static partial int DenySetEnforcers(DenySetHandle set);

    [LibraryImport(Library, EntryPoint = "ows_deny_set_close")]
    internal static partial void DenySetClose(IntPtr set);

    [LibraryImport(Library, EntryPoint = "ows_error_text")]
    internal static partial byte* ErrorText(int error);

    [LibraryImport(Library, EntryPoint = "ows_close")]
    internal static partial void Close(IntPtr sensor);
}
