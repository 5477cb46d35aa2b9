using System.Runtime.InteropServices;

namespace OneWaySensor.Linux.Cgroups;

/// <summary>
/// A file's inode number and type through statx(2), whose buffer layout is
/// the same on every architecture (.NET exposes neither). A cgroup v2
/// directory's inode is its cgroup id.
/// </summary>
internal static partial class FileInode
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const int TypeMask = 0xF000;

    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;

        [FieldOffset(32)]
        public ulong Inode;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    /// <summary>The inode of <paramref name="path"/>, or null when it cannot be read (it vanished).</summary>
    public static ulong? Of(string path) =>
        Statx(AtFdCwd, path, 0, StatxIno, out StatxBuffer buffer) == 0 ? buffer.Inode : null;

    /// <summary>The file type bits of <paramref name="path"/> itself (S_IFSOCK, S_IFDIR, ...), or null when it cannot be read.</summary>
    public static int? TypeOf(string path) =>
        Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, out StatxBuffer buffer) == 0 ? buffer.Mode & TypeMask : null;
}
