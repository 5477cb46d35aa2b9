using System.Text;

namespace OneWaySensor.Configuration;

/// <summary>
/// What a Unix socket's path must be before anything binds or connects to
/// it: absolute, with no NUL, and short enough for sockaddr_un (108 bytes
/// with the terminating NUL). .NET throws, rather than returning an error,
/// for a path that does not fit, so every socket path is checked here first.
/// </summary>
public static class UnixSocketPath
{
    public const int MaxBytes = 107;

    /// <summary>Why <paramref name="path"/> cannot be a socket's path, or null when it can.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path) || !Path.IsPathRooted(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            return $"must be an absolute path, got '{path}'";
        }

        int bytes = Encoding.UTF8.GetByteCount(path);
        return bytes > MaxBytes ? $"must be at most {MaxBytes} bytes long (a Unix socket path), got {bytes}" : null;
    }
}
