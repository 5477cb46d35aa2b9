using OneWaySensor.Flows;
using OneWaySensor.Linux.Cgroups;
using OneWaySensor.Linux.Interop;
using OneWaySensor.Linux.Kernel;

namespace OneWaySensor.Linux.Isolation;

/// <summary>
/// The deny set the sensor's cgroup_skb programs consult (bpf/isolation.bpf.h):
/// the running sensor's own, or the one it pinned under bpffs, opened by the
/// isolate and release commands from their own process. Every change is
/// made by libonewaysensor under a lock on the pin directory.
/// </summary>
public sealed unsafe class DenySet : IDisposable
{
    /// <summary>Where the running sensor pins the set (<c>isolated</c>) and its gate (<c>isolation_gate</c>).</summary>
    public const string PinDirectory = "/sys/fs/bpf/onewaysensor";

    /// <summary>How many cgroups the set holds at most.</summary>
    public const int MaxEntries = IsolationRecord.MaxEntries;

    /// <summary>Cgroups this deep below the v2 root, or deeper, cannot be isolated.</summary>
    public const int MaxLevel = IsolationRecord.MaxLevel;

    private const int ENOENT = 2;
    private const int EPERM = 1;
    private const int EACCES = 13;
    private const int ESTALE = 116;

    private readonly DenySetHandle handle;
    private ulong[]? readIds;
    private IsolationRecord[]? readValues;

    internal DenySet(DenySetHandle handle) => this.handle = handle;

    /// <summary>
    /// Opens the set the running sensor pinned. Throws <see cref="SensorException"/>
    /// with one line: bpffs is not mounted, nothing is pinned (no sensor has
    /// run since boot, or the last one stopped with nothing isolated), the
    /// pins are another version's, or permission is denied.
    /// </summary>
    public static DenySet OpenPinned(string directory = PinDirectory, string mountInfoPath = MountInfo.SelfPath)
    {
        ArgumentNullException.ThrowIfNull(directory);
        int result = NativeMethods.DenySetOpen(directory, out DenySetHandle handle);
        if (result >= 0)
        {
            return new DenySet(handle);
        }

        handle.Dispose();
        string parent = Path.GetDirectoryName(directory) ?? directory;
        throw -result switch
        {
            ENOENT when MountInfo.FindMountPoint("bpf", mountInfoPath) is null =>
                new SensorException($"isolation is unavailable: bpffs is not mounted at {parent}, so the sensor cannot pin its deny set (mount -t bpf bpf {parent}, then restart the sensor)", ENOENT),
            ENOENT => new SensorException($"no sensor is running: no deny set is pinned at {directory} (start onewaysensor run)", ENOENT),
            ESTALE => new SensorException(StaleMessage(directory), ESTALE),
            EPERM or EACCES => new SensorException($"permission denied opening the deny set at {directory}: run as root", -result),
            _ => new SensorException($"opening the deny set at {directory}: {NativeError.Describe(result)}", -result),
        };
    }

    /// <summary>
    /// Isolates a cgroup and every cgroup below it. False when it was isolated
    /// already (its entry is kept as it was). Throws <see cref="SensorException"/>
    /// when the set is full or the pins were removed meanwhile.
    /// </summary>
    /// <param name="cgroupId">The cgroup's id: its directory's inode.</param>
    /// <param name="level">Its depth below the v2 root, 1 to <see cref="MaxLevel"/> - 1.</param>
    /// <param name="since">When it is isolated.</param>
    public bool Add(ulong cgroupId, int level, DateTimeOffset since)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(level, MaxLevel);
        int result = NativeMethods.DenySetAdd(handle, cgroupId, (uint)level, (ulong)UnixTime.FromDateTimeOffset(since));
        return result switch
        {
            0 => true,
            1 => false,
            -7 => throw new SensorException($"the deny set is full ({MaxEntries} cgroups): release one first", 7),
            -ENOENT => throw new SensorException("no sensor is running: the deny set was unpinned meanwhile", ENOENT),
            _ => throw new SensorException($"isolating cgroup {cgroupId}: {NativeError.Describe(result)}", -result),
        };
    }

    /// <summary>Releases a cgroup; returns its last entry, or null when it was not isolated.</summary>
    public IsolationEntry? Remove(ulong cgroupId)
    {
        int result = NativeMethods.DenySetRemove(handle, cgroupId, out IsolationRecord last);
        if (result == -ENOENT)
        {
            return null;
        }

        NativeError.Check(result, $"releasing cgroup {cgroupId}");
        return ToEntry(cgroupId, last);
    }

    /// <summary>Reads the whole set into <paramref name="entries"/> (cleared first).</summary>
    public void Read(List<IsolationEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        readIds ??= new ulong[MaxEntries];
        readValues ??= new IsolationRecord[MaxEntries];
        entries.Clear();
        fixed (ulong* ids = readIds)
        fixed (IsolationRecord* values = readValues)
        {
            NativeError.Check(NativeMethods.DenySetRead(handle, ids, values, (uint)MaxEntries, out uint count), "reading the deny set");
            for (int i = 0; i < (int)count; i++)
            {
                entries.Add(ToEntry(readIds[i], readValues[i]));
            }
        }
    }

    /// <summary>
    /// How many loaded programs enforce this set: 2 per running sensor, 0 when
    /// none does; null when the programs cannot be listed (no CAP_SYS_ADMIN).
    /// </summary>
    public int? Enforcers()
    {
        int result = NativeMethods.DenySetEnforcers(handle);
        return result >= 0 ? result : null;
    }

    public void Dispose() => handle.Dispose();

    internal static string StaleMessage(string directory) =>
        $"the deny set pinned at {directory} does not match this sensor's (another version's): release its containers with that version, or remove it (rm -r {directory})";

    private static IsolationEntry ToEntry(ulong cgroupId, in IsolationRecord record) =>
        new(cgroupId, (int)record.Level, UnixTime.ToDateTimeOffset((long)record.SinceNs), record.TxDropped, record.RxDropped);
}
