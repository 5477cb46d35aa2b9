namespace OneWaySensor.Detection;

/// <summary>'*' matches any run of characters; everything else matches itself, case-sensitively.</summary>
public static class Glob
{
    public static bool Matches(string pattern, string? text)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (text is null)
        {
            return false;
        }

        string[] parts = pattern.Split('*');
        if (parts.Length == 1)
        {
            return pattern == text;
        }

        if (!text.StartsWith(parts[0], StringComparison.Ordinal) || !text.EndsWith(parts[^1], StringComparison.Ordinal)
            || text.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }

        int position = parts[0].Length;
        int end = text.Length - parts[^1].Length;
        for (int i = 1; i < parts.Length - 1; i++)
        {
            int found = text.IndexOf(parts[i], position, end - position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        return true;
    }
}
