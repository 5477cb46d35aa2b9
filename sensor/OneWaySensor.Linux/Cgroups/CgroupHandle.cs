using System.Runtime.InteropServices;

namespace OneWaySensor.Linux.Cgroups;

/// <summary>
/// Opens a cgroup v2 directory by its id, with no tree walk: the id is a
/// kernfs file handle (FILEID_KERNFS), so open_by_handle_at(2) on the v2
/// mount finds it directly, and /proc/self/fd names it. Needs
/// CAP_DAC_READ_SEARCH; the caller walks the tree where that fails.
/// </summary>
internal static unsafe partial class CgroupHandle
{
    private const int FileIdKernfs = 0xfe;
    private const int OpenReadOnly = 0;
    private const int OpenDirectory = 0x10000;
    private const int OpenCloseOnExec = 0x80000;

    [StructLayout(LayoutKind.Sequential)]
    private struct KernfsFileHandle
    {
        public uint HandleBytes;
        public int HandleType;
        public ulong CgroupId;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "open_by_handle_at", SetLastError = true)]
    private static partial int OpenByHandleAt(int mountFd, KernfsFileHandle* handle, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>The cgroup's absolute path, or null when it is gone or the call is not allowed.</summary>
    public static string? PathOf(string mountPoint, ulong cgroupId) => Find(mountPoint, cgroupId, out _);

    /// <summary>True when the cgroup exists, false when it is gone, null when this process may not tell (no CAP_DAC_READ_SEARCH).</summary>
    public static bool? Exists(string mountPoint, ulong cgroupId)
    {
        const int ENOENT = 2, ESTALE = 116;
        if (Find(mountPoint, cgroupId, out int errno) is not null)
        {
            return true;
        }

        return errno is ESTALE or ENOENT ? false : null;
    }

    private static string? Find(string mountPoint, ulong cgroupId, out int errno)
    {
        errno = 0;
        int mountFd = Open(mountPoint, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
        if (mountFd < 0)
        {
            errno = -1; // the mount, not the cgroup, is missing: cannot tell
            return null;
        }

        try
        {
            var handle = new KernfsFileHandle { HandleBytes = sizeof(ulong), HandleType = FileIdKernfs, CgroupId = cgroupId };
            int fd = OpenByHandleAt(mountFd, &handle, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
            if (fd < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }

            try
            {
                return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            }
            finally
            {
                // closing a read-only descriptor loses nothing, whatever it returns
                _ = Close(fd);
            }
        }
        finally
        {
            _ = Close(mountFd);
        }
    }
}
