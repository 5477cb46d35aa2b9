using System.Net;
using System.Text.Json;
using OneWaySensor.Tests.Support;
using static OneWaySensor.Tests.Support.InvariantText;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// A cgroup removed under the running sensor: one sender exited a moment
/// before the rmdir (so no poll is likely to have read its last packets
/// while the cgroup existed), the other keeps sending after it (its process
/// moved out; a socket stays in the cgroup it was made in, so its packets
/// still carry the removed cgroup's id). Both flows' counts are reported
/// exactly, under the cgroup's id and the path it had, and nothing is
/// counted as lost.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class CgroupRemovalTests
{
    [SkippableFact]
    public void A_removed_cgroups_flows_are_reported_to_their_last_packet()
    {
        Requirements.Root();
        Requirements.Built();
        using var earlySink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var lateSink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var doomed = TestCgroup.Create("removed");

        // a large map, so other tests' flows evict nothing of this test's
        using var sensor = SensorProcess.Start(
            "run", "--no-engine", "--poll-interval", "1000", "--flow-map-entries", "262144", "--set", "Sensor:FlowSummarySeconds=1");
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));

        // 40 datagrams 50 ms apart: most of them after the cgroup is gone. The sensor names a
        // cgroup from the first record it reads while the cgroup exists (its ring is read at least
        // every 100 ms): one created and removed between two reads is reported by id, path null
        using BackgroundProcess late = doomed.Start(RepoPaths.TrafficGenerator, "udp-send", "127.0.0.1", Text(lateSink.Port), "40", "200", "50");
        Thread.Sleep(300);
        TrafficResult early = TrafficResult.From(doomed.Run(RepoPaths.TrafficGenerator, "udp-send", "127.0.0.1", Text(earlySink.Port), "20", "100"));
        doomed.Remove();
        Assert.False(late.HasExited, "the late sender still sends after its cgroup is gone");
        TrafficResult lateSent = TrafficResult.From(late.Wait(TimeSpan.FromSeconds(10)));

        // a summary interval after the last packet, then the last summary at stop
        Thread.Sleep(TimeSpan.FromSeconds(2));
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(30)));

        AssertReported(sensor, doomed, earlySink.Port, early);
        AssertReported(sensor, doomed, lateSink.Port, lateSent);

        // a gone cgroup is not a loss: the kernel kept counting its flows where they were
        JsonElement lost = SensorOutput.Records(sensor, "health")[^1].GetProperty("metrics").GetProperty("kernel_records_lost_total");
        Assert.Equal(0, lost.GetProperty("flows_evicted").GetDouble());
        Assert.Equal(0, lost.GetProperty("flows_restarted").GetDouble());
    }

    /// <summary>The flow summaries add up to exactly what the sender sent, each naming the path the cgroup had.</summary>
    private static void AssertReported(SensorProcess sensor, TestCgroup cgroup, int port, TrafficResult sent)
    {
        List<JsonElement> summaries = [.. SensorOutput.SummariesOf(sensor, cgroup.Id).Where(summary => summary.GetProperty("remote").GetProperty("port").GetInt32() == port)];
        Assert.NotEmpty(summaries);
        Assert.Equal(sent.SentPackets, SensorOutput.Sum(summaries, "tx_packets"));
        Assert.Equal(sent.SentBytes, SensorOutput.Sum(summaries, "tx_payload_bytes"));
        Assert.All(summaries, summary => Assert.Equal(cgroup.RelativePath, summary.GetProperty("cgroup").GetProperty("path").GetString()));
    }
}
