using System.Diagnostics.CodeAnalysis;

namespace OneWaySensor.Containers.Engine;

/// <summary>
/// Which strings may be used as a container id: they become dictionary keys
/// and URL path segments, so an engine's or caller's odd id ("../info", control
/// characters, megabytes) is refused before it is used.
/// </summary>
internal static class ContainerIds
{
    /// <summary>True for 1 to 128 characters of [A-Za-z0-9_.-] (ids, and names as Docker allows them), not "." or "..".</summary>
    public static bool IsPlausible([NotNullWhen(true)] string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > EngineLimits.MaxIdLength || id is "." or "..")
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '.' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
