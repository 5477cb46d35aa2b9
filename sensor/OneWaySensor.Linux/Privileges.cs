using OneWaySensor.Linux.Interop;

namespace OneWaySensor.Linux;

/// <summary>
/// Least privilege after start-up. Loading and attaching the programs, pinning
/// under bpffs and opening sockets need capabilities; running afterwards needs
/// only the file descriptors those left behind, and CAP_DAC_READ_SEARCH to
/// name a cgroup by its id (open_by_handle_at). So once everything has started,
/// every thread of the process drops the rest, and sets no_new_privs so that
/// an exec cannot hand them back.
/// </summary>
public static class Privileges
{
    public const int CapDacReadSearch = 2;
    public const int CapBpf = 39;

    /// <summary>What the process keeps when the maps can be read through their fds alone.</summary>
    public static readonly int[] Running = [CapDacReadSearch];

    /// <summary>
    /// Keeps only <paramref name="capabilities"/> in every thread. Returns
    /// null when done, else the one-line reason it could not be (the sensor
    /// runs on with what it has).
    /// </summary>
    public static string? KeepOnly(IEnumerable<int> capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        ulong keep = 0;
        foreach (int capability in capabilities)
        {
            keep |= 1ul << capability;
        }

        int result = NativeMethods.KeepOnlyCapabilities(keep);
        return result == 0 ? null : $"dropping capabilities after start-up failed ({NativeError.Describe(result)}): the sensor keeps the ones it started with";
    }

    /// <summary>The names of <paramref name="capabilities"/>, for the log line.</summary>
    public static string Names(IEnumerable<int> capabilities) =>
        string.Join(", ", capabilities.Select(capability => capability switch
        {
            CapDacReadSearch => "CAP_DAC_READ_SEARCH",
            CapBpf => "CAP_BPF",
            _ => $"capability {capability}",
        }));
}
