using OneWaySensor.Linux.Cgroups;

namespace OneWaySensor.Linux;

/// <summary>Whether a path is a Unix domain socket, from statx(2)'s file type bits (.NET does not expose them).</summary>
public static class UnixSocketFile
{
    private const int SocketType = 0xC000;

    public static bool IsSocket(string path) => FileInode.TypeOf(path) == SocketType;
}
