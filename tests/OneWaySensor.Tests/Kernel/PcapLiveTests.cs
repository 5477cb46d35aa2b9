using System.Net;
using System.Text.Json;
using OneWaySensor.Tests.Support;
using static OneWaySensor.Tests.Support.InvariantText;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The pcap fallback live on lo: a one-way sender raises the same alert as
/// through eBPF (the rule, the flow's endpoints, the packets sent), only
/// without cgroup or process, which a capture cannot know.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class PcapLiveTests
{
    private const int WindowSeconds = 2;

    [SkippableFact]
    public void A_one_way_sender_on_lo_alerts_through_the_pcap_source()
    {
        Requirements.Root();
        Requirements.Built();
        using var sink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var sensor = SensorProcess.Start("run", "--source", "pcap", "--interface", "lo", "--no-engine", "--window", Text(WindowSeconds), "--poll-interval", "200");
        sensor.WaitForLog("sensor ready: pcap source capturing on lo", TimeSpan.FromSeconds(30));
        Assert.Contains("falling back to the pcap source on lo", sensor.Stderr, StringComparison.Ordinal);

        TrafficResult udp = TrafficResult.From(ProcessRunner.Run(RepoPaths.TrafficGenerator, ["udp-send", "127.0.0.1", Text(sink.Port), "5", "200"]));
        sensor.WaitUntil(() => Alerts(sensor).Any(alert => LocalPort(alert) == udp.LocalPort), TimeSpan.FromSeconds(WindowSeconds + 15), "the one-way alert through pcap");

        JsonElement found = Alerts(sensor).First(alert => LocalPort(alert) == udp.LocalPort);
        JsonElement flow = found.GetProperty("flow");
        Assert.Equal("one_way_flow", found.GetProperty("rule").GetString());
        Assert.Equal("udp", flow.GetProperty("proto").GetString());
        Assert.Equal("127.0.0.1", flow.GetProperty("remote_addr").GetString());
        Assert.Equal(sink.Port, flow.GetProperty("remote_port").GetInt32());
        Assert.Equal(0ul, flow.GetProperty("rx_packets").GetUInt64());
        Assert.True(flow.GetProperty("tx_packets").GetUInt64() >= 1, "the packets sent by the time of the alert");
        Assert.Equal("host", found.GetProperty("workload").GetString());
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));
    }

    private static List<JsonElement> Alerts(SensorProcess sensor) =>
        [.. sensor.Stdout.Select(line => JsonDocument.Parse(line).RootElement).Where(record => record.GetProperty("kind").GetString() == "alert")];

    private static int LocalPort(JsonElement alert) => alert.GetProperty("flow").GetProperty("local_port").GetInt32();
}
