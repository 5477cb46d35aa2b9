using System.Globalization;
using System.Runtime.InteropServices;
using OneWaySensor.Linux.Cgroups;

namespace OneWaySensor.Linux;

/// <summary>
/// Checks, before anything is loaded, what the eBPF source needs from this
/// host, so that a missing piece stops start-up with one line naming it.
/// </summary>
public static partial class Preflight
{
    public const string BtfPath = "/sys/kernel/btf/vmlinux";
    public const string BpfFsPath = "/sys/fs/bpf";

    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;
    private const int CapPerfmon = 38;
    private const int CapBpf = 39;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fileSystemType, nuint flags, IntPtr data);

    /// <summary>
    /// Runs every check; returns the cgroup v2 root to attach to, or throws
    /// <see cref="SensorException"/>. <paramref name="warn"/> hears what is
    /// amiss but not fatal.
    /// </summary>
    public static string Run(Action<string>? warn = null, string mountInfoPath = MountInfo.SelfPath, string statusPath = "/proc/self/status")
    {
        string? missing = MissingCapability(File.ReadAllText(statusPath));
        if (missing is not null)
        {
            throw new SensorException($"missing capability {missing}: run as root or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN");
        }

        if (!File.Exists(BtfPath))
        {
            throw new SensorException($"no kernel BTF at {BtfPath}: the kernel needs CONFIG_DEBUG_INFO_BTF=y for CO-RE");
        }

        string cgroupRoot = CgroupDirectory.FindRoot(mountInfoPath)
            ?? throw new SensorException("no cgroup v2 file system is mounted (none in /proc/self/mountinfo): mount one, e.g. mount -t cgroup2 none /sys/fs/cgroup");
        if (BpfFsProblem(mountInfoPath) is string problem)
        {
            warn?.Invoke(problem);
        }

        return cgroupRoot;
    }

    /// <summary>The first capability the sensor needs and lacks, from /proc/self/status text; null when it has them.</summary>
    public static string? MissingCapability(string statusText)
    {
        ArgumentNullException.ThrowIfNull(statusText);
        ulong effective = 0;
        foreach (string line in statusText.Split('\n'))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
            {
                effective = ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        bool Has(int capability) => (effective & (1ul << capability)) != 0;
        bool admin = Has(CapSysAdmin);
        if (!Has(CapBpf) && !admin)
        {
            return "CAP_BPF";
        }

        if (!Has(CapPerfmon) && !admin)
        {
            return "CAP_PERFMON";
        }

        return Has(CapNetAdmin) ? null : "CAP_NET_ADMIN";
    }

    /// <summary>
    /// Mounts bpffs where it is missing. Only the deny set behind
    /// <c>onewaysensor isolate</c> is pinned there, so a failed mount (it needs
    /// CAP_SYS_ADMIN, which the minimum capability set lacks) is a warning:
    /// the sensor runs, and isolation is unavailable.
    /// </summary>
    private static string? BpfFsProblem(string mountInfoPath)
    {
        if (MountInfo.FindMountPoint("bpf", mountInfoPath) is not null || !Directory.Exists(BpfFsPath))
        {
            return null;
        }

        if (Mount("bpf", BpfFsPath, "bpf", 0, IntPtr.Zero) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return $"bpffs is not mounted at {BpfFsPath} and mounting it failed ({Marshal.GetPInvokeErrorMessage(errno)}): onewaysensor isolate is unavailable";
        }

        return null;
    }
}
