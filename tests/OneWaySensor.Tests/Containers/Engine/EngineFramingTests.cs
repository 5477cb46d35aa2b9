using System.Text;
using OneWaySensor.Containers.Engine;

namespace OneWaySensor.Tests.Containers.Engine;

public sealed class EngineFramingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Lines_are_whole_across_reads_and_blank_lines_are_skipped()
    {
        byte[] text = Encoding.ASCII.GetBytes("{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\":3}");
        int oversized = 0;
        var framer = new LineFramer(new TrickleStream(text, 3), 64, () => oversized++);

        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"], await ReadAllAsync(framer));
        Assert.Equal(0, oversized);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task A_line_over_the_limit_is_dropped_and_reading_goes_on(int readSize)
    {
        string longLine = new('x', 100);
        byte[] text = Encoding.ASCII.GetBytes($"first\n{longLine}\nsecond\n{new string('y', 64)}\n{longLine}");
        int oversized = 0;
        var framer = new LineFramer(new TrickleStream(text, readSize), 64, () => oversized++);

        Assert.Equal(["first", "second", new string('y', 64)], await ReadAllAsync(framer));
        Assert.Equal(2, oversized); // the middle one, and the last, cut by the stream's end
    }

    [Fact]
    public void Backoff_doubles_to_its_cap_and_resets()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        double[] expected = [0.5, 1, 2, 4, 8, 16, 30, 30];

        Assert.Equal(expected, expected.Select(_ => backoff.Next().TotalSeconds));
        backoff.Reset();
        Assert.Equal(0.5, backoff.Next().TotalSeconds);
    }

    private static async Task<List<string>> ReadAllAsync(LineFramer framer)
    {
        var lines = new List<string>();
        while (await framer.ReadLineAsync(CancellationToken.None).AsTask().WaitAsync(Bound) is ReadOnlyMemory<byte> line)
        {
            lines.Add(Encoding.ASCII.GetString(line.Span));
        }

        return lines;
    }

    /// <summary>A stream that hands out at most a few bytes a read, as a socket may.</summary>
    private sealed class TrickleStream(byte[] data, int readSize) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);
    }
}
