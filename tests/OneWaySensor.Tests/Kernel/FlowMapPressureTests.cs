using System.Net;
using System.Text.Json;
using OneWaySensor.Configuration;
using OneWaySensor.Flows;
using OneWaySensor.Linux;
using OneWaySensor.Tests.Support;
using static OneWaySensor.Tests.Support.InvariantText;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// More concurrent flows than the kernel's flow map holds. The map is a BPF
/// LRU hash: a new flow takes the entry of one not used lately, and one used
/// again since it was last passed over is spared once, so single-packet flows
/// go first and busy ones last. What the sensor has read of a flow, by a poll
/// or from the flow's opening record, is kept when the kernel evicts the
/// entry, and the evictions are counted in the status, the metrics, the
/// health records and the stop line. A socket's packets after its first
/// are counted in the socket (bpf/socket_flows.bpf.h) and survive the
/// eviction: the next flush creates the entry again. What the LRU does lose
/// is what only the evicted entry held unread: packets of a socket's other
/// flows, or counts a flush moved into an entry evicted again before a poll.
/// The kernel says nothing when it evicts, so the sensor counts such flows
/// (flows evicted, flows restarted), not their packets.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class FlowMapPressureTests
{
    private const int Capacity = 1024;
    private const int Flows = 3000;

    [SkippableFact]
    public void Evictions_are_counted_and_every_packet_read_before_them_is_reported()
    {
        Requirements.Root();
        Requirements.Built();
        using var sink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var senders = TestCgroup.Create("pressure");
        using var sensor = SensorProcess.Start(
            "run", "--no-engine", "--poll-interval", "100", "--flow-map-entries", Text(Capacity),
            "--set", "Sensor:FlowSummarySeconds=1", "--set", "Sensor:HealthSeconds=1");
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));

        // one datagram per flow: each flow's only packet is in its opening record, whenever its entry goes
        TrafficResult fan = TrafficResult.From(senders.Run(RepoPaths.TrafficGenerator, "udp-fan", "127.0.0.1", Text(sink.Port), Text(Flows), "1", "32"));
        Assert.Equal((ulong)Flows, fan.SentPackets);

        sensor.WaitUntil(() => Evicted(SensorOutput.Status(sensor)) > 0, TimeSpan.FromSeconds(15), "evictions in the status");
        JsonElement status = SensorOutput.Status(sensor);
        Assert.Equal(Capacity, status.GetProperty("flow_map_capacity").GetDouble());
        Assert.True(status.GetProperty("flow_map_evictions_total").GetDouble() > 0);

        Thread.Sleep(TimeSpan.FromSeconds(1.5)); // a summary and a health record after the burst
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(30)));

        List<JsonElement> summaries = [.. SensorOutput.SummariesOf(sensor, senders.Id).Where(summary => summary.GetProperty("remote").GetProperty("port").GetInt32() == sink.Port)];
        Assert.Equal(fan.SentPackets, SensorOutput.Sum(summaries, "tx_packets"));
        Assert.Equal(fan.SentBytes, SensorOutput.Sum(summaries, "tx_payload_bytes"));
        Assert.Equal((ulong)Flows, SensorOutput.Sum(summaries, "flows"));
        Assert.True(Evicted(SensorOutput.Records(sensor, "health")[^1].GetProperty("metrics")) > 0, "the last health record counts the evictions");
        Assert.Matches(@"sensor stopped: .*flows evicted [1-9]", sensor.Stderr);

        // said once, not at every poll that evicted more
        Assert.Equal(1, SensorOutput.LogLines(sensor, "] loss: "));
    }

    [SkippableFact]
    public void An_entry_evicted_between_polls_loses_its_unread_counts_a_socket_still_open_keeps_them_and_every_such_flow_is_counted()
    {
        Requirements.Root();
        Requirements.NativeLibrary();
        Requirements.Built();
        Requirements.Tool("taskset");
        Preflight.Run();
        using var victimSink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var fanSink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var senders = TestCgroup.Create("evicted");
        var table = new FlowTable();

        // no poll until the stop; attached to the test's cgroup only, so no other traffic shares the map
        var options = UnpinnedOptions.Create(pollIntervalMilliseconds: 60_000, flowMapEntries: Capacity);
        TrafficResult victim;
        TrafficResult fan;
        EbpfSourceHealth health;
        using (var source = new EbpfFlowSource(options, table))
        {
            source.Start(senders.Path);
            // both on one CPU: the LRU keeps a list of new entries per CPU, and takes from another CPU's last
            victim = TrafficResult.From(senders.Run("taskset", "-c", "0", RepoPaths.TrafficGenerator, "udp-send", "127.0.0.1", Text(victimSink.Port), "10", "100"));

            // two datagrams per flow: the second is counted in its socket, which closes before any poll
            fan = TrafficResult.From(senders.Run("taskset", "-c", "0", RepoPaths.TrafficGenerator, "udp-fan", "127.0.0.1", Text(fanSink.Port), Text(Flows), "2", "32"));
            Thread.Sleep(300); // the opening records are read as they come
            source.Stop();
            health = source.Health();
        }

        // 10 sent: the first read from its opening record; the socket's nine moved into the entry at its
        // close, and the fan took the entry before the one poll: an entry's unread counts go with it
        FlowState evicted = table.Flows.Single(flow => flow.Key.CgroupId == senders.Id && flow.Key.RemotePort == victimSink.Port);
        Assert.Equal(10ul, victim.SentPackets);
        Assert.Equal(1ul, evicted.Tx.Packets);
        Assert.Equal(100ul, evicted.Tx.PayloadBytes);
        Assert.True(evicted.MissingFromSource, "the sensor knows the kernel dropped it");
        Assert.True(health.FlowsEvicted >= 1 && health.Lost >= 1, "the loss is counted");

        // the fan's sockets closed together: for an evicted entry the second datagram came back in a new
        // entry and its record (a restart); one added to an entry still there is lost only if that entry
        // went before the last poll, and such a flow is counted as evicted
        List<FlowState> fanFlows = [.. table.Flows.Where(flow => flow.Key.CgroupId == senders.Id && flow.Key.RemotePort == fanSink.Port)];
        Assert.Equal(0ul, health.RingBufferFull);
        Assert.Equal(Flows, fanFlows.Count);
        Assert.True(health.FlowsRestarted > 0, "entries were created again from the sockets' counts");
        Assert.All(fanFlows, flow => Assert.True(flow.Tx.Packets == 2 || (flow.Tx.Packets == 1 && flow.MissingFromSource), $"{flow.Tx.Packets} packets, evicted {flow.MissingFromSource}"));
        int lostPackets = (int)(fan.SentPackets - fanFlows.Aggregate(0UL, (sum, flow) => sum + flow.Tx.Packets));
        Assert.True((ulong)lostPackets <= health.FlowsEvicted, $"{lostPackets} fan packets were lost; {health.FlowsEvicted} evictions counted");
    }

    private static double Evicted(JsonElement metrics) => SensorOutput.Labeled(metrics, "kernel_records_lost_total", "flows_evicted");
}
