using OneWaySensor.Alerts;
using OneWaySensor.Detection;
using OneWaySensor.Flows;
using OneWaySensor.Tests.Core.Detection;
using OneWaySensor.Windows.Etw;
using static OneWaySensor.Tests.Etw.EtwRecording;

namespace OneWaySensor.Tests.Etw;

/// <summary>The detections run on the table the ETW mapper fills, as they run on the eBPF source's.</summary>
public sealed class EtwOneWayDetectionTests
{
    private const long IdleTimeout = 3600 * Second;

    [Fact]
    public void A_one_way_udp_sender_seen_through_etw_raises_one_way_flow()
    {
        var harness = new DetectionHarness(windowSeconds: 60);
        var mapper = new EtwFlowMapper(harness.Table, new SingleContainer(4242, 7));
        Socket beacon = Socket.Of(4242, "172.20.0.2", 50000, "198.51.100.9", 9999);
        var recording = new EtwRecording();
        for (int i = 0; i < 62; i++)
        {
            recording.UdpSend(beacon, 120).Wait(Second);
        }

        recording.ReplayInto(mapper);
        long now = recording.Now;
        mapper.Poll(now, IdleTimeout);
        harness.Engine.Evaluate(harness.Table, now);

        Alert alert = Assert.Single(harness.Alerts);
        Assert.Equal(RuleIds.OneWayFlow, alert.Rule);
        Assert.Equal(7ul, alert.CgroupId);
        Assert.Equal(4242u, alert.Flow.Owner.Tgid);
        Assert.Equal(62 * 120ul, alert.Flow.Tx.PayloadBytes);
        Assert.Equal(0ul, alert.Flow.Rx.PayloadBytes);
        Assert.Equal(beacon.Key(FlowProtocol.Udp, cgroupId: 7), alert.Flow.Key);
    }

    [Fact]
    public void A_udp_exchange_seen_through_etw_raises_nothing()
    {
        var harness = new DetectionHarness(windowSeconds: 60);
        var mapper = new EtwFlowMapper(harness.Table);
        Socket dns = Socket.Of(4242, "10.0.0.5", 53001, "192.0.2.53", 53);
        var recording = new EtwRecording();
        for (int i = 0; i < 62; i++)
        {
            recording.UdpSend(dns, 40).UdpRecv(dns, 120).Wait(Second);
        }

        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);
        harness.Engine.Evaluate(harness.Table, recording.Now);

        Assert.DoesNotContain(harness.Alerts, alert => alert.Rule == RuleIds.OneWayFlow);
    }

    [Fact]
    public void Tcp_connections_that_carried_data_are_not_unanswered_connects()
    {
        var harness = new DetectionHarness(windowSeconds: 60);
        var mapper = new EtwFlowMapper(harness.Table);
        var recording = new EtwRecording();
        for (ushort i = 0; i < 5; i++)
        {
            Socket client = Socket.Of(4242, "10.0.0.5", (ushort)(50100 + i), "203.0.113.7", 443);
            recording.Connect(client).Send(client, 300).Recv(client, 900).Disconnect(client).Wait(Second);
        }

        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);
        harness.Engine.Evaluate(harness.Table, recording.Now);

        Assert.DoesNotContain(harness.Alerts, alert => alert.Rule == RuleIds.UnansweredConnect);
    }

    private sealed class SingleContainer(uint pid, ulong container) : IProcessContainerResolver
    {
        public ulong ContainerOf(uint processId) => processId == pid ? container : 0;
    }
}
