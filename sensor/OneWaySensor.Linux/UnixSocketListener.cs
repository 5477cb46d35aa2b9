using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace OneWaySensor.Linux;

/// <summary>
/// Binds a listening Unix domain socket for one of the sensor's services
/// (control, export). A stale socket file left by a killed sensor is
/// replaced; a live one, or anything that is not a socket, is an error
/// naming the path. The file gets <paramref name="mode"/> and, when given,
/// <paramref name="group"/> (a name or a number) before anyone can connect.
/// </summary>
public static partial class UnixSocketListener
{
    public static Socket Listen(string path, string what, UnixFileMode mode, string? group = null, int backlog = 16)
    {
        ArgumentNullException.ThrowIfNull(path);
        uint? gid = group is null ? null : GroupId(group, what);
        Directory.CreateDirectory(Path.GetDirectoryName(path) ?? "/");
        if (File.Exists(path) || Directory.Exists(path))
        {
            if (!UnixSocketFile.IsSocket(path))
            {
                throw new IOException($"the {what} path {path} exists and is not a socket");
            }

            if (Answers(path))
            {
                throw new IOException($"another sensor already listens on the {what} {path}");
            }

            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (gid is uint id && Chown(path, uint.MaxValue, id) != 0)
            {
                throw new IOException($"cannot give the {what} {path} the group {group}: {Marshal.GetLastPInvokeErrorMessage()}");
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, mode);
            }

            listener.Listen(backlog);
            return listener;
        }
        catch (SocketException error)
        {
            listener.Dispose();
            throw new IOException($"cannot listen on the {what} {path}: {error.Message}", error);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>A group's id from its name (through NSS, so LDAP groups work) or from a number.</summary>
    private static uint GroupId(string group, string what)
    {
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out uint gid))
        {
            return gid;
        }

        IntPtr entry = GetGroupByName(group);
        if (entry == IntPtr.Zero)
        {
            throw new IOException($"the {what}'s group '{group}' does not exist");
        }

        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }
        return (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    private static bool Answers(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetGroupByName(string name);
}
