using System.Text;

namespace OneWaySensor.Linux.Cgroups;

/// <summary>
/// Finds mounts by file system type in /proc/self/mountinfo, whose lines read
/// <c>id parent major:minor root mount-point options [optional...] - fstype source super-options</c>,
/// with spaces and backslashes in paths escaped as octal (\040).
/// </summary>
internal static class MountInfo
{
    public const string SelfPath = "/proc/self/mountinfo";

    /// <summary>
    /// The mount point of a mount of <paramref name="fileSystemType"/>, or null:
    /// the first that mounts the file system's root, else the first at all (a
    /// bind mount of a subtree, as inside a container, sees only that subtree).
    /// </summary>
    public static string? FindMountPoint(string fileSystemType, string mountInfoPath = SelfPath)
    {
        string? subtree = null;
        foreach (string line in File.ReadLines(mountInfoPath))
        {
            string? mountPoint = ParseLine(line, fileSystemType);
            if (mountPoint is not null)
            {
                if (line.Split(' ')[3] == "/")
                {
                    return mountPoint;
                }

                subtree ??= mountPoint;
            }
        }

        return subtree;
    }

    /// <summary>The line's mount point when its type is <paramref name="fileSystemType"/>.</summary>
    public static string? ParseLine(string line, string fileSystemType)
    {
        ArgumentNullException.ThrowIfNull(line);
        string[] fields = line.Split(' ');
        int separator = Array.IndexOf(fields, "-");
        if (separator < 6 || separator + 1 >= fields.Length)
        {
            return null;
        }

        return fields[separator + 1] == fileSystemType ? Unescape(fields[4]) : null;
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var text = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                text.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }

        return text.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
