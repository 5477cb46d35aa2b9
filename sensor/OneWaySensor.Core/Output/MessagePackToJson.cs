using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace OneWaySensor.Output;

/// <summary>
/// Reads MessagePack records from an untrusted stream and writes each as one
/// JSON line, escaped as the sensor escapes its own. Bounded: a record may
/// be at most <see cref="MaxRecordBytes"/> long and <see cref="MaxDepth"/>
/// deep, maps need string keys, and nothing is allocated from a length the
/// input claims. Extension types and binary, which the sensor never sends,
/// are refused rather than guessed at. It is the project's only MessagePack
/// decoder; it reads with <see cref="MessagePackReader"/> and no formatter,
/// so the serializer's MessagePackSecurity.UntrustedData (which guards
/// formatters: object graph depth, hash flooding) has nothing to apply to,
/// and these bounds stand in for it.
/// </summary>
public static class MessagePackToJson
{
    public const int MaxRecordBytes = 1 << 20;
    public const int MaxDepth = 64;

    /// <summary>
    /// Converts the first record of <paramref name="input"/>. Returns false,
    /// writing nothing, when the record is not complete yet; otherwise
    /// <paramref name="consumed"/> is its length.
    /// </summary>
    /// <exception cref="InvalidDataException">The input is not a record the sensor could have sent.</exception>
    public static bool TryConvert(ReadOnlySequence<byte> input, ArrayBufferWriter<byte> json, out long consumed)
    {
        ArgumentNullException.ThrowIfNull(json);
        int start = json.WrittenCount;
        var reader = new MessagePackReader(input);
        try
        {
            using (var writer = new Utf8JsonWriter(json, OutputJson.Options))
            {
                if (reader.NextMessagePackType != MessagePackType.Map)
                {
                    throw new InvalidDataException($"a record must be a map, got {reader.NextMessagePackType}");
                }

                WriteValue(ref reader, writer, 0);
            }

            if (reader.Consumed > MaxRecordBytes)
            {
                // the bound holds for a record that arrived whole, not only for one still arriving
                Truncate(json, start);
                throw new InvalidDataException($"a record is longer than {MaxRecordBytes} bytes");
            }

            consumed = reader.Consumed;
            return true;
        }
        catch (EndOfStreamException)
        {
            if (input.Length >= MaxRecordBytes)
            {
                throw new InvalidDataException($"a record is longer than {MaxRecordBytes} bytes");
            }

            // an incomplete record: undo what was written and wait for more
            consumed = 0;
            Truncate(json, start);
            return false;
        }
        catch (MessagePackSerializationException error)
        {
            throw new InvalidDataException($"not MessagePack: {error.Message}", error);
        }
        catch (Exception error) when (error is ArgumentOutOfRangeException or OverflowException)
        {
            // the reader's answer to a length claim past what an int holds (a str32 of 4 GiB)
            throw new InvalidDataException("not MessagePack: a length is out of range", error);
        }
    }

    private static void WriteValue(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException($"a record is nested deeper than {MaxDepth}");
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Map:
                int pairs = reader.ReadMapHeader();
                json.WriteStartObject();
                for (int i = 0; i < pairs; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        throw new InvalidDataException($"a map key must be a string, got {reader.NextMessagePackType}");
                    }

                    json.WritePropertyName(ReadString(ref reader));
                    WriteValue(ref reader, json, depth + 1);
                }

                json.WriteEndObject();
                break;
            case MessagePackType.Array:
                int items = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (int i = 0; i < items; i++)
                {
                    WriteValue(ref reader, json, depth + 1);
                }

                json.WriteEndArray();
                break;
            case MessagePackType.String:
                json.WriteStringValue(ReadString(ref reader));
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                break;
            case MessagePackType.Float:
                double value = reader.ReadDouble();
                if (!double.IsFinite(value))
                {
                    throw new InvalidDataException("a number is not finite");
                }

                json.WriteNumberValue(value);
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            default:
                throw new InvalidDataException($"unexpected MessagePack type {reader.NextMessagePackType}");
        }
    }

    /// <summary>The string's bytes, checked for UTF-8 (the JSON writer escapes what it must).</summary>
    private static ReadOnlySpan<byte> ReadString(ref MessagePackReader reader)
    {
        if (reader.TryReadStringSpan(out ReadOnlySpan<byte> span))
        {
            return Checked(span);
        }

        // split across buffer segments: a copy (rare, the socket reader keeps one segment)
        ReadOnlySequence<byte> sequence = reader.ReadStringSequence() ?? throw new InvalidDataException("a string is nil");
        return Checked(sequence.ToArray());
    }

    private static ReadOnlySpan<byte> Checked(ReadOnlySpan<byte> utf8) =>
        System.Text.Unicode.Utf8.IsValid(utf8) ? utf8 : throw new InvalidDataException("a string is not UTF-8");

    private static void Truncate(ArrayBufferWriter<byte> json, int length)
    {
        if (json.WrittenCount == length)
        {
            return;
        }

        byte[] kept = json.WrittenSpan[..length].ToArray();
        json.ResetWrittenCount();
        json.Write(kept);
    }
}
