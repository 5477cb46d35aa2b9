using System.Globalization;
using System.Text;

namespace OneWaySensor.Cli.Output;

/// <summary>
/// Text from outside the sensor (container names, commands, labels, cgroup
/// paths, file names, config keys and values) made safe to show a person:
/// every control character (a terminal escape, a newline, C1 controls such
/// as the one-byte CSI), every invisible format character (bidirectional
/// overrides that reorder what is shown) and the line and paragraph
/// separators are written as \uXXXX, so the text stays on one line and
/// reads as what it is.
/// </summary>
internal static class TerminalText
{
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(Unsafe))
        {
            return text;
        }

        var clean = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (Unsafe(c))
            {
                clean.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                clean.Append(c);
            }
        }

        return clean.ToString();
    }

    private static bool Unsafe(char c) => char.GetUnicodeCategory(c) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
