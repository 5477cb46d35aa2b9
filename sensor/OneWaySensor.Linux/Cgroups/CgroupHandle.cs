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
    public static string? PathOf(string mountPoint, ulong cgroupId)
    {
        int mountFd = Open(mountPoint, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
        if (mountFd < 0)
        {
            return null;
        }

        try
        {
            var handle = new KernfsFileHandle { HandleBytes = sizeof(ulong), HandleType = FileIdKernfs, CgroupId = cgroupId };
            int fd = OpenByHandleAt(mountFd, &handle, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
            if (fd < 0)
            {
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
