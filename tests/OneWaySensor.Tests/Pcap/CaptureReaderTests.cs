using System.Globalization;
using OneWaySensor.Packets;
using OneWaySensor.Pcap;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Pcap;

/// <summary>Capture files through libpcap: every packet of every Zeek trace, pcap and pcapng; damaged files are one line.</summary>
public sealed class CaptureReaderTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("ows-pcap-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static TheoryData<string, int, int> Traces()
    {
        var traces = new TheoryData<string, int, int>();
        foreach (string[] row in File.ReadAllLines(Path.Combine(RepoPaths.ZeekData, "MANIFEST.tsv")).Skip(1).Select(line => line.Split('\t')))
        {
            traces.Add(row[0]["zeek/".Length..], int.Parse(row[4], CultureInfo.InvariantCulture), int.Parse(row[6], CultureInfo.InvariantCulture));
        }

        return traces;
    }

    [Theory]
    [MemberData(nameof(Traces))]
    public void Every_packet_of_a_trace_is_read_with_its_link_type_and_time(string trace, int linkType, int packets)
    {
        using CaptureReader reader = CaptureReader.OpenFile(Path.Combine(RepoPaths.ZeekData, trace));
        Assert.Equal((LinkType)linkType, reader.LinkType);
        int read = 0;
        long last = 0;
        while (reader.TryRead(out CapturedPacket packet, out bool ended) || !ended)
        {
            read++;
            Assert.True(packet.TimeUnixNs > 946_684_800L * 1_000_000_000, "a timestamp after 2000");
            Assert.True(packet.WireLength >= packet.Data.Length);
            last = packet.TimeUnixNs;
        }

        Assert.Equal(packets, read);
        Assert.NotEqual(0, last);
    }

    [Fact]
    public void A_missing_file_is_one_line()
    {
        string path = Path.Combine(folder, "absent.pcap");
        var error = Assert.Throws<CaptureException>(() => CaptureReader.OpenFile(path));
        Assert.Equal($"capture file {path}: not found", error.Message);
    }

    [Theory]
    [InlineData(0, "empty")]
    [InlineData(3, "a cut header")]
    [InlineData(4096, "not a capture")]
    public void A_file_that_is_not_a_capture_is_one_line_naming_it(int length, string what)
    {
        string path = Path.Combine(folder, $"{what.Replace(' ', '-')}.pcap");
        File.WriteAllBytes(path, [.. Enumerable.Repeat((byte)'x', length)]);
        var error = Assert.Throws<CaptureException>(() => CaptureReader.OpenFile(path));
        Assert.StartsWith($"capture file {path}: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
