using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MessagePack;
using OneWaySensor.Output;

namespace OneWaySensor.Tests.Output;

/// <summary>JSON records to MessagePack maps and back: the same keys and values, bounded and strict on bad input.</summary>
public sealed class MessagePackTranscodingTests
{
    private const string Record = """{"seq":7,"kind":"alert","time":"2026-11-28T00:00:00.000000Z","score":0.875,"big":18446744073709551615,"neg":-3,"ok":true,"no":false,"none":null,"name":"evil\u001b[31m\n\u00e9\u2603","list":[1,"two",{"three":[]}],"nested":{"a":{"b":{}}}}""";

    [Fact]
    public void A_record_becomes_a_map_with_the_same_keys_and_converts_back_to_the_same_json()
    {
        byte[] packed = Pack(Record);
        Assert.Equal(MessagePackType.Map, new MessagePackReader(packed).NextMessagePackType);

        var json = new ArrayBufferWriter<byte>();
        Assert.True(MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(packed), json, out long consumed));
        Assert.Equal(packed.Length, consumed);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Record), JsonNode.Parse(json.WrittenSpan)));
    }

    [Fact]
    public void Strings_are_unescaped_utf8_and_numbers_keep_their_type()
    {
        var reader = new MessagePackReader(Pack(Record));
        int pairs = reader.ReadMapHeader();
        var values = new Dictionary<string, object?>();
        for (int i = 0; i < pairs; i++)
        {
            string key = reader.ReadString()!;
            values[key] = reader.NextMessagePackType switch
            {
                MessagePackType.String => reader.ReadString(),
                MessagePackType.Integer => reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64() : reader.ReadInt64(),
                MessagePackType.Float => reader.ReadDouble(),
                _ => Skip(ref reader),
            };
        }

        Assert.Equal("evil\u001b[31m\n\u00e9\u2603", values["name"]);
        Assert.Equal(7L, values["seq"]);
        Assert.Equal(ulong.MaxValue, values["big"]);
        Assert.Equal(-3L, values["neg"]);
        Assert.Equal(0.875, values["score"]);
    }

    [Fact]
    public void Escapes_in_the_json_output_hide_control_characters_from_a_terminal()
    {
        var json = new ArrayBufferWriter<byte>();
        Assert.True(MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(Pack(Record)), json, out _));
        string text = Encoding.UTF8.GetString(json.WrittenSpan);
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\n', text);
    }

    [Fact]
    public void A_record_cut_short_at_any_byte_waits_for_the_rest()
    {
        byte[] packed = Pack(Record);
        for (int length = 0; length < packed.Length; length++)
        {
            var json = new ArrayBufferWriter<byte>();
            Assert.False(MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(packed, 0, length), json, out long consumed));
            Assert.Equal(0, consumed);
            Assert.Equal(0, json.WrittenCount);
        }
    }

    [Fact]
    public void Records_back_to_back_are_read_one_at_a_time()
    {
        byte[] stream = [.. Pack("""{"seq":1}"""), .. Pack("""{"seq":2,"x":"y"}""")];
        var json = new ArrayBufferWriter<byte>();
        Assert.True(MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(stream), json, out long first));
        Assert.True(MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(stream.AsMemory((int)first)), json, out long second));
        Assert.Equal(stream.Length, first + second);
        Assert.Equal("""{"seq":1}{"seq":2,"x":"y"}""", Encoding.UTF8.GetString(json.WrittenSpan));
    }

    [Theory]
    [InlineData("93010203", "must be a map")] // an array at the top
    [InlineData("810102", "key must be a string")] // {1: 2}
    [InlineData("81a161c40100", "unexpected MessagePack type")] // {"a": one byte of binary}, which the sensor never sends
    [InlineData("81a161d40100", "unexpected MessagePack type")] // {"a": an extension}
    public void Input_the_sensor_could_not_have_sent_is_refused_with_a_reason(string hex, string reason)
    {
        byte[] bytes = Convert.FromHexString(hex);
        var error = Assert.Throws<InvalidDataException>(() => MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(bytes), new ArrayBufferWriter<byte>(), out _));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_deeper_than_the_bound_is_refused_without_recursing_through_it()
    {
        // a map holding 100 000 nested arrays: a decoder without a bound would overflow its stack
        byte[] bytes = [0x81, 0xa1, 0x61, .. Enumerable.Repeat((byte)0x91, 100_000), 0xc0];
        var error = Assert.Throws<InvalidDataException>(() => MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(bytes), new ArrayBufferWriter<byte>(), out _));
        Assert.Contains("deeper", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_that_claims_more_than_the_size_bound_fails_once_that_much_arrived()
    {
        // {"a": str32 of 2 GiB}: nothing is allocated from the claim; with a megabyte in hand it is refused
        byte[] bytes = [0x81, 0xa1, 0x61, 0xdb, 0x7f, 0xff, 0xff, 0xff, .. new byte[MessagePackToJson.MaxRecordBytes]];
        Assert.False(MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(bytes, 0, 1000), new ArrayBufferWriter<byte>(), out _));
        Assert.Throws<InvalidDataException>(() => MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(bytes), new ArrayBufferWriter<byte>(), out _));
    }

    [Fact]
    public void A_string_that_is_not_utf8_is_refused()
    {
        byte[] bytes = [0x81, 0xa1, 0x61, 0xa2, 0xc3, 0x28];
        Assert.Throws<InvalidDataException>(() => MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(bytes), new ArrayBufferWriter<byte>(), out _));
    }

    [Fact]
    public void Bad_json_is_refused_by_the_transcoder()
    {
        Assert.ThrowsAny<JsonException>(() => JsonToMessagePack.Transcode("{\"a\":"u8, new ArrayBufferWriter<byte>()));
    }

    internal static byte[] Pack(string json)
    {
        var buffer = new ArrayBufferWriter<byte>();
        JsonToMessagePack.Transcode(Encoding.UTF8.GetBytes(json), buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static object? Skip(ref MessagePackReader reader)
    {
        reader.Skip();
        return null;
    }
}
