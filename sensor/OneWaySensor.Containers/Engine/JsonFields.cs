using System.Globalization;
using System.Text.Json;

namespace OneWaySensor.Containers.Engine;

/// <summary>
/// Reads fields of an untrusted JSON answer without throwing: a field of the
/// wrong type, with invalid UTF-8 or an unpaired surrogate escape is counted
/// and read as absent, and long text is cut to <see cref="EngineLimits.MaxTextLength"/>.
/// </summary>
internal static class JsonFields
{
    /// <summary>The named member when <paramref name="parent"/> is an object that has it and it is an object.</summary>
    public static bool TryGetObject(JsonElement parent, string name, out JsonElement value, ref EngineClientCounters counters)
    {
        if (!TryGetMember(parent, name, out value))
        {
            return false;
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Null)
        {
            Interlocked.Increment(ref counters.MalformedElements);
        }

        return false;
    }

    /// <summary>The named string member, cut to the length limit; null when absent, null or unreadable.</summary>
    public static string? GetString(JsonElement parent, string name, ref EngineClientCounters counters) =>
        TryGetMember(parent, name, out JsonElement value) ? ReadString(value, ref counters) : null;

    /// <summary>The named boolean member; false when absent or of another type.</summary>
    public static bool GetBoolean(JsonElement parent, string name, ref EngineClientCounters counters)
    {
        if (!TryGetMember(parent, name, out JsonElement value))
        {
            return false;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
            case JsonValueKind.Null:
                return false;
            default:
                Interlocked.Increment(ref counters.MalformedElements);
                return false;
        }
    }

    /// <summary>A string element, cut to the length limit; null when it is null, not a string or not decodable.</summary>
    public static string? ReadString(JsonElement value, ref EngineClientCounters counters)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Interlocked.Increment(ref counters.MalformedElements);
            return null;
        }

        try
        {
            return Bound(value.GetString()!, ref counters);
        }
        catch (InvalidOperationException)
        {
            // invalid UTF-8 or an unpaired surrogate escape: System.Text.Json refuses to transcode it
            Interlocked.Increment(ref counters.MalformedElements);
            return null;
        }
    }

    /// <summary>A member name, cut to the length limit; null when it is not decodable.</summary>
    public static string? ReadName(JsonProperty property, ref EngineClientCounters counters)
    {
        try
        {
            return Bound(property.Name, ref counters);
        }
        catch (InvalidOperationException)
        {
            Interlocked.Increment(ref counters.MalformedElements);
            return null;
        }
    }

    /// <summary>A port number 0-65535 written as a string ("9999", as Docker does) or a number; null for "" or anything else.</summary>
    public static int? ReadPort(JsonElement value, ref EngineClientCounters counters)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Number when value.TryGetInt32(out int number) && number is >= 0 and <= ushort.MaxValue:
                return number;
            case JsonValueKind.String:
                string? text = ReadString(value, ref counters);
                if (string.IsNullOrEmpty(text))
                {
                    return null; // "" means "not bound" (a random port not yet chosen)
                }

                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed <= ushort.MaxValue)
                {
                    return parsed;
                }

                break;
        }

        Interlocked.Increment(ref counters.MalformedElements);
        return null;
    }

    /// <summary>
    /// Cuts text to the length limit, never between the halves of a
    /// surrogate pair. Control characters and escapes stay: escaping is the
    /// output's job.
    /// </summary>
    public static string Bound(string text, ref EngineClientCounters counters)
    {
        if (text.Length <= EngineLimits.MaxTextLength)
        {
            return text;
        }

        Interlocked.Increment(ref counters.TruncatedValues);
        int length = EngineLimits.MaxTextLength;
        if (char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text[..length];
    }

    private static bool TryGetMember(JsonElement parent, string name, out JsonElement value)
    {
        if (parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out value))
        {
            return true;
        }

        value = default;
        return false;
    }
}
