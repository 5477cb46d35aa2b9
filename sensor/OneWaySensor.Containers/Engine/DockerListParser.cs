using System.Text.Json;

namespace OneWaySensor.Containers.Engine;

/// <summary>
/// Reads the ids out of <c>GET /containers/json?all=1</c>, an array of
/// <c>{ "Id": "4f1c...", "Names": ["/web"], "State": "running", ... }</c>.
/// An entry without a usable id is skipped and counted.
/// </summary>
internal static class DockerListParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>The ids in <paramref name="body"/>, or null (counted) when the body is not a list.</summary>
    public static List<string>? Parse(ReadOnlyMemory<byte> body, ref EngineClientCounters counters)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            Interlocked.Increment(ref counters.MalformedAnswers);
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                Interlocked.Increment(ref counters.MalformedAnswers);
                return null;
            }

            var ids = new List<string>(document.RootElement.GetArrayLength());
            foreach (JsonElement entry in document.RootElement.EnumerateArray())
            {
                // one count per entry skipped: an unreadable string counts itself
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("Id", out JsonElement member) || member.ValueKind != JsonValueKind.String)
                {
                    Interlocked.Increment(ref counters.MalformedElements);
                    continue;
                }

                string? id = JsonFields.ReadString(member, ref counters);
                if (ContainerIds.IsPlausible(id))
                {
                    ids.Add(id);
                }
                else if (id is not null)
                {
                    Interlocked.Increment(ref counters.MalformedElements);
                }
            }

            return ids;
        }
    }
}
