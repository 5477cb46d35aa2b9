using System.Buffers;
using System.Text;
using System.Text.Json;
using OneWaySensor.Output;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Output;

/// <summary>
/// <see cref="MessagePackToJson"/>, the one decoder of MessagePack in the
/// project (`tail`'s), on hostile input: random bytes, mutated records cut
/// at every byte, depth bombs, length claims far beyond the input, and types
/// the sensor never sends. It waits for more, converts to one escaped JSON
/// line, or refuses with <see cref="InvalidDataException"/>; nothing else,
/// and nothing is allocated from a claimed length.
/// </summary>
public sealed class MessagePackFuzzTests
{
    private static readonly byte[][] Records =
    [
        MessagePackTranscodingTests.Pack("""{"seq":1,"kind":"container_start","container":{"name":"web\u001b[2J","labels":{"a":"b\nc"}},"n":[1,-2,3.5,null,true]}"""),
        MessagePackTranscodingTests.Pack("""{"seq":18446744073709551615,"kind":"health","scope":"export_client","missed":4,"missed_total":9}"""),
    ];

    [Fact]
    public void Random_and_mutated_input_converts_waits_or_is_refused_and_nothing_else()
    {
        Fuzz.Cases(3000, random =>
        {
            byte[] input = random.Next(2) == 0
                ? Fuzz.Mutate(random, Records[random.Next(Records.Length)])
                : Fuzz.Bytes(random, random.Next(64));
            AssertBehaves(input);
        });
    }

    [Fact]
    public void A_mutated_record_cut_at_every_byte_waits_or_is_refused()
    {
        Fuzz.Cases(40, random =>
        {
            byte[] input = Fuzz.Mutate(random, Records[random.Next(Records.Length)]);
            for (int length = 0; length <= input.Length; length++)
            {
                AssertBehaves(input[..length]);
            }
        });
    }

    [Theory]
    [InlineData(new byte[] { 0x81, 0xa1, 0x61 }, "maps")]
    [InlineData(new byte[] { 0x91 }, "arrays")]
    [InlineData(new byte[] { 0x82, 0xa1, 0x61, 0xc0, 0xa1, 0x62, 0x91 }, "maps and arrays in turn")]
    public void A_depth_bomb_is_refused_without_recursing_through_it(byte[] level, string nesting)
    {
        byte[] bomb = [0x81, 0xa1, 0x61, .. Enumerable.Range(0, 200_000 / level.Length).SelectMany(_ => level)];
        var error = Assert.Throws<InvalidDataException>(() => MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(bomb), new ArrayBufferWriter<byte>(), out _));
        Assert.True(error.Message.Contains("deeper", StringComparison.Ordinal), $"{nesting}: {error.Message}");
    }

    [Theory]
    [InlineData("ddffffffff", "an array32 of 4 billion")]
    [InlineData("ddfffffff0", "an array32 just under 4 billion")]
    [InlineData("de ffff", "a map16 of 65535")]
    [InlineData("dfffffffff", "a map32 of 4 billion")]
    [InlineData("df7fffffff", "a map32 of int.MaxValue")]
    [InlineData("dbffffffff", "a str32 of 4 GiB")]
    [InlineData("c6ffffffff", "a bin32 of 4 GiB")]
    [InlineData("c9ffffffff01", "an ext32 of 4 GiB")]
    public void A_length_claim_beyond_the_input_waits_allocates_nothing_for_it_and_is_refused_at_the_bound(string hex, string claim)
    {
        // {"a": CLAIM ...}, with a little of what it claims, then with a megabyte of it
        byte[] head = [0x81, 0xa1, 0x61, .. Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal))];
        byte[] input = [.. head, .. new byte[MessagePackToJson.MaxRecordBytes]];

        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? small = Record.Exception(() => MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(input, 0, head.Length + 100), new ArrayBufferWriter<byte>(64), out _));
        Assert.True(small is null or InvalidDataException, $"{claim}: {small}");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 256 * 1024, $"{claim}: allocated {allocated} bytes for the claim"); // a refusal's exceptions cost tens of KiB; a claim honoured, gigabytes

        Assert.Throws<InvalidDataException>(() => MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(input), new ArrayBufferWriter<byte>(), out _));
    }

    [Fact]
    public void A_complete_record_over_the_size_bound_is_refused_too()
    {
        // the bound holds however the record arrives: whole, not only while it is still coming
        string big = new('x', MessagePackToJson.MaxRecordBytes);
        byte[] record = MessagePackTranscodingTests.Pack($$"""{"a":"{{big}}"}""");
        var error = Assert.Throws<InvalidDataException>(() => MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(record), new ArrayBufferWriter<byte>(), out _));
        Assert.Contains($"longer than {MessagePackToJson.MaxRecordBytes}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a161", "a string at the top")]
    [InlineData("c0", "nil at the top")]
    [InlineData("2a", "a number at the top")]
    [InlineData("c1", "the never-used code")]
    [InlineData("81c001", "a nil key")]
    [InlineData("81c301", "a boolean key")]
    [InlineData("81cb3ff000000000000001", "a float key")]
    [InlineData("819101a0", "an array key")]
    [InlineData("8180a0", "a map key")]
    [InlineData("81a161cb7ff8000000000000", "NaN")]
    [InlineData("81a161cb7ff0000000000000", "infinity")]
    [InlineData("81a161ca7f800000", "a float32 infinity")]
    [InlineData("81a161c1", "the never-used code as a value")]
    [InlineData("81a161c70001", "an ext8 value")]
    [InlineData("81a161a2c328", "a value that is not UTF-8")]
    [InlineData("81a2c32801", "a key that is not UTF-8")]
    [InlineData("81a3eda080a0", "a key that encodes a lone surrogate")]
    public void Types_and_values_the_sensor_never_sends_are_refused(string hex, string what)
    {
        byte[] input = Convert.FromHexString(hex);
        var error = Record.Exception(() => MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(input), new ArrayBufferWriter<byte>(), out _));
        Assert.True(error is InvalidDataException, $"{what}: {error?.GetType().Name ?? "accepted"}");
    }

    /// <summary>One call: true with one record of valid, escaped JSON; false (waiting) only short of the bound; or InvalidDataException.</summary>
    private static void AssertBehaves(byte[] input)
    {
        var json = new ArrayBufferWriter<byte>();
        bool converted;
        long consumed;
        try
        {
            converted = MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(input), json, out consumed);
        }
        catch (InvalidDataException)
        {
            return;
        }

        if (!converted)
        {
            Assert.True(input.Length < MessagePackToJson.MaxRecordBytes);
            Assert.Equal(0, json.WrittenCount);
            return;
        }

        Assert.InRange(consumed, 1, input.Length);
        using JsonDocument document = JsonDocument.Parse(json.WrittenMemory);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        Assert.True(json.WrittenSpan.IndexOfAnyInRange((byte)0, (byte)0x1f) < 0, "a control character reached the JSON line raw");
        Assert.True(json.WrittenSpan.IndexOfAnyInRange((byte)0x7f, (byte)0xff) < 0, "the JSON line is escaped to ASCII");
        _ = Encoding.UTF8.GetString(json.WrittenSpan);
    }
}
