using System.Runtime.InteropServices;

namespace OneWaySensor.Linux;

/// <summary>Whether a path is a Unix domain socket, from statx(2)'s file type bits (.NET does not expose them).</summary>
public static partial class UnixSocketFile
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int TypeMask = 0xF000;
    private const int SocketType = 0xC000;

    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    public static bool IsSocket(string path) =>
        Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, out StatxBuffer buffer) == 0 && (buffer.Mode & TypeMask) == SocketType;
}
