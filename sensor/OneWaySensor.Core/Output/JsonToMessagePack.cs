using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace OneWaySensor.Output;

/// <summary>
/// Turns one JSON record into the same record as MessagePack: objects become
/// maps with the same keys, arrays arrays, whole numbers integers, other
/// numbers doubles, strings unescaped UTF-8. The JSON writers stay the one
/// definition of every record, so the sidecar stream can never drift from
/// the JSON lines. Allocates nothing.
/// </summary>
public static class JsonToMessagePack
{
    private const int MaxDepth = 64;

    /// <exception cref="JsonException">The input is not one complete JSON value.</exception>
    public static void Transcode(ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        var writer = new MessagePackWriter(output);
        if (!reader.Read())
        {
            throw new JsonException("empty record");
        }

        WriteValue(ref reader, ref writer);
        writer.Flush();
    }

    private static void WriteValue(ref Utf8JsonReader reader, ref MessagePackWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteMapHeader(CountChildren(reader));
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    WriteString(ref reader, ref writer); // the property name
                    reader.Read();
                    WriteValue(ref reader, ref writer);
                }

                break;
            case JsonTokenType.StartArray:
                writer.WriteArrayHeader(CountChildren(reader));
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    WriteValue(ref reader, ref writer);
                }

                break;
            case JsonTokenType.String:
                WriteString(ref reader, ref writer);
                break;
            case JsonTokenType.Number:
                WriteNumber(ref reader, ref writer);
                break;
            case JsonTokenType.True:
                writer.Write(true);
                break;
            case JsonTokenType.False:
                writer.Write(false);
                break;
            case JsonTokenType.Null:
                writer.WriteNil();
                break;
            default:
                throw new JsonException($"unexpected JSON token {reader.TokenType}");
        }
    }

    private static void WriteNumber(ref Utf8JsonReader reader, ref MessagePackWriter writer)
    {
        if (reader.TryGetInt64(out long signed))
        {
            writer.Write(signed);
        }
        else if (reader.TryGetUInt64(out ulong unsigned))
        {
            writer.Write(unsigned);
        }
        else
        {
            writer.Write(reader.GetDouble());
        }
    }

    /// <summary>A string value or property name, unescaped: MessagePack strings are raw UTF-8.</summary>
    private static void WriteString(ref Utf8JsonReader reader, ref MessagePackWriter writer)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WriteString(reader.ValueSpan);
            return;
        }

        // unescaping never lengthens: the escaped length bounds the result; pooled, since a
        // stack buffer may not flow into the writer's ref parameter
        byte[] buffer = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            int length = reader.CopyString(buffer);
            writer.WriteString(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>MessagePack wants a container's length first: count on a copy of the reader.</summary>
    private static int CountChildren(Utf8JsonReader probe)
    {
        bool isObject = probe.TokenType == JsonTokenType.StartObject;
        JsonTokenType end = isObject ? JsonTokenType.EndObject : JsonTokenType.EndArray;
        int count = 0;
        while (probe.Read() && probe.TokenType != end)
        {
            if (isObject)
            {
                probe.Read(); // from the name to its value
            }

            probe.Skip(); // past a nested container; a no-op on a plain value
            count++;
        }

        return count;
    }
}
