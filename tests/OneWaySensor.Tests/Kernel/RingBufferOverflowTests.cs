using System.Net;
using System.Text.Json;
using OneWaySensor.Tests.Support;
using static OneWaySensor.Tests.Support.InvariantText;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// A burst of new flows larger than the kernel's ring buffer (one page):
/// the opening records that find it full are lost and counted, in the
/// status and the health records, said once in the log; the flow counters
/// live in the flow map, not in the ring, so every packet is still reported.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class RingBufferOverflowTests
{
    private const int Flows = 2000;
    private const int PerFlow = 3;

    [SkippableFact]
    public void Records_lost_to_a_full_ring_are_counted_and_the_flow_counts_stay_exact()
    {
        Requirements.Root();
        Requirements.Built();
        using var sink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var senders = TestCgroup.Create("burst");

        // about 34 opening records fit in 4 KiB; a large map, so other tests' flows evict nothing of this test's
        using var sensor = SensorProcess.Start(
            "run", "--no-engine", "--poll-interval", "100", "--flow-map-entries", "262144",
            "--set", "Sensor:RingBufferBytes=4096", "--set", "Sensor:RingBufferWakeupBytes=1024",
            "--set", "Sensor:FlowSummarySeconds=1", "--set", "Sensor:HealthSeconds=1");
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));

        TrafficResult burst = TrafficResult.From(senders.Run(RepoPaths.TrafficGenerator, "udp-fan", "127.0.0.1", Text(sink.Port), Text(Flows), Text(PerFlow), "32"));
        Assert.Equal((ulong)(Flows * PerFlow), burst.SentPackets);

        sensor.WaitUntil(() => RingFull(SensorOutput.Status(sensor)) > 0, TimeSpan.FromSeconds(15), "ring buffer loss in the status");
        Thread.Sleep(TimeSpan.FromSeconds(1.5)); // a summary and a health record after the burst
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(30)));

        List<JsonElement> summaries = [.. SensorOutput.SummariesOf(sensor, senders.Id).Where(summary => summary.GetProperty("remote").GetProperty("port").GetInt32() == sink.Port)];
        Assert.Equal(burst.SentPackets, SensorOutput.Sum(summaries, "tx_packets"));
        Assert.Equal(burst.SentBytes, SensorOutput.Sum(summaries, "tx_payload_bytes"));
        Assert.True(RingFull(SensorOutput.Records(sensor, "health")[^1].GetProperty("metrics")) > 0, "the last health record counts the lost records");
        Assert.Matches(@"sensor stopped: .*ring buffer full [1-9]", sensor.Stderr);
        Assert.Equal(1, SensorOutput.LogLines(sensor, "] loss: "));
    }

    private static double RingFull(JsonElement metrics) => SensorOutput.Labeled(metrics, "kernel_records_lost_total", "ring_buffer_full");
}
