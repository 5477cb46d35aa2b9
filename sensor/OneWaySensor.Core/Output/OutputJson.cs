using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OneWaySensor.Output;

/// <summary>What every JSON line the sensor writes shares: escaping and the time format.</summary>
public static class OutputJson
{
    /// <summary>
    /// Escapes everything outside printable ASCII: container names, labels,
    /// commands and paths are attacker-controlled text, and a terminal
    /// escape or a newline must never reach a reader raw.
    /// </summary>
    public static readonly JsonWriterOptions Options = new()
    {
        Encoder = JavaScriptEncoder.Default,
        Indented = false,
    };

    /// <summary>UTC, microseconds, ISO 8601.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);
}
