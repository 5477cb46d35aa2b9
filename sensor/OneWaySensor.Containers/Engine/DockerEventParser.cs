using System.Globalization;
using System.Text.Json;

namespace OneWaySensor.Containers.Engine;

/// <summary>
/// Maps <c>GET /events</c> messages to <see cref="RuntimeEvent"/>s. Docker
/// 20.10 and Podman 4.3 (seen on this machine) write one JSON object a line:
/// <code>
/// {"status":"exec_create: sh -c echo hi","id":"49a7...","from":"alpine","Type":"container",
///  "Action":"exec_create: sh -c echo hi",
///  "Actor":{"ID":"49a7...","Attributes":{"execID":"db57...","image":"alpine","name":"web", ...labels}},
///  "scope":"local","time":1795818623,"timeNano":1795818623127649783}
/// </code>
/// Where the two differ:
/// <list type="bullet">
/// <item>exec: Docker sends <c>exec_create: CMD</c> and <c>exec_start: CMD</c>, the command
/// in the action; Podman sends one <c>exec</c> with no command, read as exec_start.</item>
/// <item>removal: Docker's <c>destroy</c> is Podman's <c>remove</c>.</item>
/// <item>network connect/disconnect: Docker's actor is the network (Attributes.container is the
/// container, Attributes.name the network); Podman's actor is the container (Attributes.name is
/// the container's name, the network is not named).</item>
/// </list>
/// Container events carry the container's labels among the attributes; name
/// and image are set by the engine after them, so a label cannot forge them.
/// </summary>
internal static class DockerEventParser
{
    private static readonly JsonReaderOptions ReaderOptions = new() { AllowMultipleValues = true, MaxDepth = 64 };

    /// <summary>
    /// Adds the events of one line to <paramref name="events"/>: each value on
    /// it is one message. A value that is not JSON ends the line (counted); a
    /// message of another kind is counted as ignored.
    /// </summary>
    public static void ParseLine(ReadOnlySpan<byte> line, List<RuntimeEvent> events, DateTimeOffset now, ref EngineClientCounters counters)
    {
        var reader = new Utf8JsonReader(line, ReaderOptions);
        while (true)
        {
            JsonDocument message;
            try
            {
                if (!reader.Read())
                {
                    return;
                }

                message = JsonDocument.ParseValue(ref reader);
            }
            catch (JsonException)
            {
                Interlocked.Increment(ref counters.MalformedAnswers);
                return;
            }

            using (message)
            {
                RuntimeEvent? runtimeEvent = Map(message.RootElement, now, ref counters);
                if (runtimeEvent is not null)
                {
                    events.Add(runtimeEvent);
                }
            }
        }
    }

    /// <summary>One message as an event; null when it is malformed or of a kind the sensor does not use (both counted).</summary>
    public static RuntimeEvent? Map(JsonElement message, DateTimeOffset now, ref EngineClientCounters counters)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            Interlocked.Increment(ref counters.MalformedAnswers);
            return null;
        }

        string? type = JsonFields.GetString(message, "Type", ref counters);
        string? action = JsonFields.GetString(message, "Action", ref counters);
        JsonFields.TryGetObject(message, "Actor", out JsonElement actor, ref counters);
        JsonFields.TryGetObject(actor, "Attributes", out JsonElement attributes, ref counters);
        if (type is null || action is null)
        {
            Interlocked.Increment(ref counters.MalformedAnswers);
            return null;
        }

        RuntimeEvent? runtimeEvent = type switch
        {
            "container" => MapContainer(action, message, actor, attributes, now, ref counters),
            "network" => MapNetwork(action, message, actor, attributes, now, ref counters),
            _ => Ignore(ref counters),
        };
        return runtimeEvent;
    }

    private static RuntimeEvent? MapContainer(string action, JsonElement message, JsonElement actor, JsonElement attributes, DateTimeOffset now, ref EngineClientCounters counters)
    {
        // "exec_create: sh -c echo hi": the verb, then the command after ": "
        int colon = action.IndexOf(':', StringComparison.Ordinal);
        string verb = colon < 0 ? action : action[..colon];
        string? command = colon < 0 ? null : action[(colon + 1)..].TrimStart(' ');
        RuntimeEventKind kind;
        switch (verb)
        {
            case "create": kind = RuntimeEventKind.ContainerCreate; break;
            case "start": kind = RuntimeEventKind.ContainerStart; break;
            case "die": kind = RuntimeEventKind.ContainerDie; break;
            case "destroy" or "remove": kind = RuntimeEventKind.ContainerDestroy; break;
            case "exec_create": kind = RuntimeEventKind.ExecCreate; break;
            case "exec_start" or "exec": kind = RuntimeEventKind.ExecStart; break;
            default: return Ignore(ref counters);
        }

        string? id = JsonFields.GetString(actor, "ID", ref counters) ?? JsonFields.GetString(message, "id", ref counters);
        if (!ContainerIds.IsPlausible(id))
        {
            Interlocked.Increment(ref counters.MalformedAnswers);
            return null;
        }

        int? exitCode = null;
        if (kind == RuntimeEventKind.ContainerDie)
        {
            string? text = JsonFields.GetString(attributes, "exitCode", ref counters);
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int code))
            {
                exitCode = code;
            }
            else if (text is not null)
            {
                Interlocked.Increment(ref counters.MalformedElements);
            }
        }

        return new RuntimeEvent(
            ReadTime(message, now, ref counters),
            kind,
            id,
            ContainerName: JsonFields.GetString(attributes, "name", ref counters),
            Image: JsonFields.GetString(attributes, "image", ref counters),
            Command: kind is RuntimeEventKind.ExecCreate or RuntimeEventKind.ExecStart && !string.IsNullOrEmpty(command) ? command : null,
            ExitCode: exitCode);
    }

    private static RuntimeEvent? MapNetwork(string action, JsonElement message, JsonElement actor, JsonElement attributes, DateTimeOffset now, ref EngineClientCounters counters)
    {
        RuntimeEventKind kind;
        switch (action)
        {
            case "connect": kind = RuntimeEventKind.NetworkConnect; break;
            case "disconnect": kind = RuntimeEventKind.NetworkDisconnect; break;
            default: return Ignore(ref counters);
        }

        string? container = JsonFields.GetString(attributes, "container", ref counters);
        string? name = JsonFields.GetString(attributes, "name", ref counters);
        bool dockerShape = container is not null;
        string? id = dockerShape ? container : JsonFields.GetString(actor, "ID", ref counters);
        if (!ContainerIds.IsPlausible(id))
        {
            Interlocked.Increment(ref counters.MalformedAnswers);
            return null;
        }

        return new RuntimeEvent(
            ReadTime(message, now, ref counters),
            kind,
            id,
            ContainerName: dockerShape ? null : name,
            Network: dockerShape ? name : null);
    }

    /// <summary>timeNano (nanoseconds since the epoch), else time (seconds), else the time it was read.</summary>
    private static DateTimeOffset ReadTime(JsonElement message, DateTimeOffset now, ref EngineClientCounters counters)
    {
        if (message.TryGetProperty("timeNano", out JsonElement nanos))
        {
            // any long of nanoseconds is within DateTimeOffset's range (years 1677 to 2262)
            if (nanos.ValueKind == JsonValueKind.Number && nanos.TryGetInt64(out long value))
            {
                return DateTimeOffset.UnixEpoch.AddTicks(value / 100);
            }

            Interlocked.Increment(ref counters.MalformedElements);
        }

        if (message.TryGetProperty("time", out JsonElement seconds))
        {
            if (seconds.ValueKind == JsonValueKind.Number && seconds.TryGetInt64(out long value)
                && value >= 0 && value <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            {
                return DateTimeOffset.FromUnixTimeSeconds(value);
            }

            Interlocked.Increment(ref counters.MalformedElements);
        }

        return now;
    }

    private static RuntimeEvent? Ignore(ref EngineClientCounters counters)
    {
        Interlocked.Increment(ref counters.IgnoredEvents);
        return null;
    }
}
