using System.Text.Json;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Pcap;

/// <summary>`onewaysensor replay`: detections on the capture's clock, one JSON line per flow, and damaged captures as one line (after the counts of what came before) or a counted skip.</summary>
public sealed class ReplayCommandTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly string folder = Directory.CreateTempSubdirectory("ows-replay-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_one_way_sender_in_a_capture_alerts_at_capture_time_and_an_echo_does_not()
    {
        Requirements.Built();
        string capture = Path.Combine(folder, "mixed.pcap");
        using (var writer = new PcapFileWriter(capture, linkType: 1))
        {
            for (int i = 0; i < 10; i++)
            {
                DateTimeOffset at = Start.AddMilliseconds(500 * i);
                writer.Write(at, TestFrames.Udp4("10.0.0.1", 40000, "10.0.0.2", 9999, 100));
                writer.Write(at, TestFrames.Udp4("10.0.0.3", 40001, "10.0.0.4", 7777, 50));
                writer.Write(at.AddMilliseconds(1), TestFrames.Udp4("10.0.0.4", 7777, "10.0.0.3", 40001, 50));
            }
        }

        string flowsFile = Path.Combine(folder, "flows.jsonl");
        ProcessResult result = ProcessRunner.Run(RepoPaths.SensorBinary, ["replay", capture, "--window", "2", "--flows", flowsFile]);
        Assert.True(result.ExitCode == 0, result.Stderr);

        // the one-way sender alerts, once per window of capture time; the echo never does
        List<JsonElement> alerts = [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];
        Assert.All(alerts, alert => Assert.Equal("10.0.0.2", alert.GetProperty("flow").GetProperty("remote_addr").GetString()));
        JsonElement alert = alerts.First(alert => alert.GetProperty("rule").GetString() == "one_way_flow");
        Assert.Equal("10.0.0.2", alert.GetProperty("flow").GetProperty("remote_addr").GetString());
        Assert.Equal(9999, alert.GetProperty("flow").GetProperty("remote_port").GetInt32());
        DateTimeOffset alertTime = alert.GetProperty("time").GetDateTimeOffset();
        Assert.InRange(alertTime, Start.AddSeconds(2), Start.AddSeconds(5)); // the capture's clock, not the wall clock

        Dictionary<int, JsonElement> flows = File.ReadAllLines(flowsFile).Select(line => JsonDocument.Parse(line).RootElement).ToDictionary(flow => flow.GetProperty("orig_port").GetInt32());
        Assert.Equal(2, flows.Count);
        JsonElement oneWay = flows[40000];
        Assert.Equal("udp", oneWay.GetProperty("proto").GetString());
        Assert.Equal("S0", oneWay.GetProperty("conn_state").GetString());
        Assert.Equal("D", oneWay.GetProperty("history").GetString());
        Assert.Equal(10, oneWay.GetProperty("orig_pkts").GetInt32());
        Assert.Equal(0, oneWay.GetProperty("resp_pkts").GetInt32());
        Assert.Equal(1000, oneWay.GetProperty("orig_bytes").GetInt32());
        Assert.Equal(1280, oneWay.GetProperty("orig_ip_bytes").GetInt32());
        JsonElement echo = flows[40001];
        Assert.Equal("SF", echo.GetProperty("conn_state").GetString());
        Assert.Equal("Dd", echo.GetProperty("history").GetString());
        Assert.Equal(10, echo.GetProperty("resp_pkts").GetInt32());
        Assert.Contains("30 packets, 30 IP", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_cut_inside_a_record_is_one_line_after_what_came_before()
    {
        Requirements.Built();
        string capture = Path.Combine(folder, "cut.pcap");
        using (var writer = new PcapFileWriter(capture, linkType: 1))
        {
            writer.Write(Start, TestFrames.Udp4("10.0.0.1", 1, "10.0.0.2", 2, 10));
            writer.Write(Start.AddSeconds(1), TestFrames.Udp4("10.0.0.1", 1, "10.0.0.2", 2, 10));
        }

        byte[] bytes = File.ReadAllBytes(capture);
        File.WriteAllBytes(capture, bytes[..^20]);
        string flowsFile = Path.Combine(folder, "flows.jsonl");
        ProcessResult result = ProcessRunner.Run(RepoPaths.SensorBinary, ["replay", capture, "--flows", flowsFile]);
        Assert.Equal(1, result.ExitCode);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("onewaysensor: replayed cut.pcap: 1 packets, 1 IP;", lines[0], StringComparison.Ordinal); // what came before, counted
        Assert.StartsWith($"onewaysensor: capture file {capture}: ", lines[1], StringComparison.Ordinal);
        Assert.Contains("truncated", lines[1], StringComparison.OrdinalIgnoreCase);
        Assert.Single(File.ReadAllLines(flowsFile)); // the first packet's flow was still written
    }

    [Theory]
    [InlineData("0a0d0d0a" + "0c000000" + "4d3c2b1a" + "01000000" + "ffffffffffffffff" + "0c000000", "pcapng with a section header whose length is too short")]
    [InlineData("d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "ffff0000" + "01000000" + "00000000" + "00000000" + "ffffff7f" + "ffffff7f", "a record that claims 2 GB")]
    public void Bad_block_and_record_lengths_are_one_line_naming_the_file(string hex, string what)
    {
        Requirements.Built();
        string capture = Path.Combine(folder, "bad.pcap");
        File.WriteAllBytes(capture, Convert.FromHexString(hex));
        ProcessResult result = ProcessRunner.Run(RepoPaths.SensorBinary, ["replay", capture]);
        Assert.True(result.ExitCode == 1, $"{what}: {result.Stderr}");
        string line = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith($"onewaysensor: capture file {capture}: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_link_types_and_packets_shorter_than_their_headers_are_counted_skips()
    {
        Requirements.Built();
        string unknown = Path.Combine(folder, "user0.pcap");
        using (var writer = new PcapFileWriter(unknown, linkType: 147))
        {
            writer.Write(Start, TestFrames.Udp4("10.0.0.1", 1, "10.0.0.2", 2, 10));
        }

        ProcessResult skipped = ProcessRunner.Run(RepoPaths.SensorBinary, ["replay", unknown]);
        Assert.True(skipped.ExitCode == 0, skipped.Stderr);
        Assert.Contains("unknown link type 1", skipped.Stderr, StringComparison.Ordinal);

        string shortFrames = Path.Combine(folder, "short.pcap");
        byte[] full = TestFrames.Udp4("10.0.0.1", 1, "10.0.0.2", 2, 1000);
        using (var writer = new PcapFileWriter(shortFrames, linkType: 1))
        {
            writer.Write(Start, full.AsSpan(0, 20), wireLength: full.Length); // the IP header cut off
            writer.Write(Start, full.AsSpan(0, 9), wireLength: full.Length); // not even Ethernet
            writer.Write(Start.AddSeconds(1), full.AsSpan(0, 60), wireLength: full.Length); // cut by the snap length: counts in full
        }

        string flowsFile = Path.Combine(folder, "flows.jsonl");
        ProcessResult cut = ProcessRunner.Run(RepoPaths.SensorBinary, ["replay", shortFrames, "--flows", flowsFile]);
        Assert.True(cut.ExitCode == 0, cut.Stderr);
        Assert.Contains("truncated 2", cut.Stderr, StringComparison.Ordinal);
        JsonElement flow = JsonDocument.Parse(Assert.Single(File.ReadAllLines(flowsFile))).RootElement;
        Assert.Equal(1028, flow.GetProperty("orig_ip_bytes").GetInt32());
    }

    [Fact]
    public void A_missing_file_is_one_line()
    {
        Requirements.Built();
        ProcessResult result = ProcessRunner.Run(RepoPaths.SensorBinary, ["replay", Path.Combine(folder, "absent.pcap")]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("absent.pcap: not found", result.Stderr, StringComparison.Ordinal);
    }
}
