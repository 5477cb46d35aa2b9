using System.Buffers;
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

    [ThreadStatic]
    private static Utf8JsonWriter? writer;

    /// <summary>
    /// A JSON writer over <paramref name="output"/>, one per thread and reused,
    /// so writing a record allocates nothing. The caller flushes it when the
    /// record is complete and never disposes it; no record writer may begin
    /// another record while writing one.
    /// </summary>
    public static Utf8JsonWriter Begin(IBufferWriter<byte> output)
    {
        if (writer is null)
        {
            writer = new Utf8JsonWriter(output, Options);
        }
        else
        {
            writer.Reset(output);
        }

        return writer;
    }

    /// <summary>A time property as <see cref="FormatTime"/> spells it, formatted on the stack.</summary>
    public static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(json);
        Span<char> text = stackalloc char[32];
        time.UtcDateTime.TryFormat(text, out int length, TimeFormat, CultureInfo.InvariantCulture);
        json.WriteString(name, text[..length]);
    }

    /// <summary>UTC, microseconds, ISO 8601.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private const string TimeFormat = "yyyy-MM-ddTHH:mm:ss.ffffffZ";
}
