using System.Net;
using System.Net.Sockets;
using OneWaySensor.Configuration;
using OneWaySensor.Flows;
using OneWaySensor.Linux;
using OneWaySensor.Linux.Kernel;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The flow map pinned under bpffs: a restarted sensor carries on with the
/// flows and counts of the one before, and reports nothing twice. Each test
/// pins in a directory of its own and removes it.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class FlowPinTests : IDisposable
{
    private const int BeforeRestart = 10;
    private const int DuringGap = 3;
    private const int AfterRestart = 5;

    private readonly string pinDirectory = $"/sys/fs/bpf/ows-test-flows-{Guid.NewGuid():N}";

    [SkippableFact]
    public void A_restarted_sensor_carries_on_with_the_flows_and_counts_of_the_one_before()
    {
        string root = Prepare();
        using var flow = new UdpSender();

        var before = new FlowTable();
        using (var first = new EbpfFlowSource(Options(), before))
        {
            first.Start(root);
            Assert.Equal(FlowPinResult.Pinned, first.FlowPin);
            flow.Send(BeforeRestart);
            first.Stop();
        }

        FlowState counted = Single(before, flow.LocalPort, flow.RemotePort);
        Assert.Equal((ulong)BeforeRestart, counted.Tx.Packets);

        // no sensor runs: these are not seen (the programs went with the first)
        flow.Send(DuringGap);

        var after = new FlowTable { Summarizer = new FlowSummarizer(0) };
        using (var second = new EbpfFlowSource(Options(), after))
        {
            second.Start(root);
            Assert.Equal(FlowPinResult.Pinned, second.FlowPin);
            Assert.True(second.ResumedFlows >= 1, $"resumed {second.ResumedFlows} flows");
            FlowState resumed = Single(after, flow.LocalPort, flow.RemotePort);
            Assert.Equal(counted.Tx, resumed.Tx);
            AssertSameInstant(counted.FirstSeenUnixNs, resumed.FirstSeenUnixNs);
            flow.Send(AfterRestart);
            second.Stop();
        }

        FlowState carried = Single(after, flow.LocalPort, flow.RemotePort);
        Assert.Equal((ulong)(BeforeRestart + AfterRestart), carried.Tx.Packets);
        AssertSameInstant(counted.FirstSeenUnixNs, carried.FirstSeenUnixNs);
        Assert.True(after.Counters.Resumed >= 1);
        Assert.Equal(0ul, after.Counters.Restarted);

        // the first sensor reported the first ten: a summary of the second holds only what it saw
        FlowSummary summary = Assert.Single(
            after.Summarizer!.Summarize(after, 1),
            s => s.CgroupId == carried.Key.CgroupId && s.RemotePort == flow.RemotePort && s.Protocol == FlowProtocol.Udp);
        Assert.Equal((ulong)AfterRestart, summary.Tx.Packets);
    }

    [SkippableFact]
    public void A_second_sensor_keeps_a_map_of_its_own_and_a_changed_size_replaces_the_pinned_map()
    {
        string root = Prepare();
        using var flow = new UdpSender();

        using (var holder = new EbpfFlowSource(Options(), new FlowTable()))
        {
            holder.Start(root);
            flow.Send(BeforeRestart);
            using var second = new EbpfFlowSource(Options(), new FlowTable());
            second.Start(root);
            Assert.Equal(FlowPinResult.HeldByAnother, second.FlowPin);
            Assert.Equal(0, second.ResumedFlows);
            second.Stop();
            holder.Stop();
        }

        var resized = new FlowTable();
        using (var third = new EbpfFlowSource(Options(flowMapEntries: 2048), resized))
        {
            third.Start(root);
            Assert.Equal(FlowPinResult.Replaced, third.FlowPin);
            Assert.Equal(0, third.ResumedFlows);
            Assert.False(resized.TryGet(FlowOf(resized, flow.LocalPort, flow.RemotePort), out _));
            third.Stop();
        }
    }

    [SkippableFact]
    public void A_directory_off_bpffs_leaves_the_map_with_the_process()
    {
        string root = Prepare();
        string elsewhere = Path.Combine(Path.GetTempPath(), $"ows-not-bpffs-{Guid.NewGuid():N}");
        using var source = new EbpfFlowSource(Options(directory: elsewhere), new FlowTable());
        source.Start(root);
        Assert.Equal(FlowPinResult.NotOnBpffs, source.FlowPin);
        Assert.False(Directory.Exists(elsewhere), "nothing is created off bpffs");
        source.Stop();
    }

    public void Dispose()
    {
        if (Directory.Exists(pinDirectory))
        {
            Directory.Delete(pinDirectory, recursive: true);
        }
    }

    private static string Prepare()
    {
        Requirements.Root();
        Requirements.NativeLibrary();
        return Preflight.Run();
    }

    private SensorOptions Options(int flowMapEntries = 4096, string? directory = null) =>
        new() { FlowMapEntries = flowMapEntries, FlowPinDirectory = directory ?? pinDirectory, PollIntervalMilliseconds = 100 };

    /// <summary>The kernel's one monotonic first-seen, turned into wall time by each sensor's own reading of the two clocks.</summary>
    private static void AssertSameInstant(long expectedUnixNs, long actualUnixNs) =>
        Assert.InRange(Math.Abs(actualUnixNs - expectedUnixNs), 0, TimeSpan.NanosecondsPerTick * TimeSpan.TicksPerMillisecond);

    private static FlowState Single(FlowTable table, int localPort, int remotePort)
    {
        Assert.True(table.TryGet(FlowOf(table, localPort, remotePort), out FlowState state), $"no flow from port {localPort} to {remotePort}");
        return state;
    }

    /// <summary>The key of the flow between the two loopback ports, seen from the sender; default when absent.</summary>
    private static FlowKey FlowOf(FlowTable table, int localPort, int remotePort) =>
        table.Flows.FirstOrDefault(f => f.Key.LocalPort == localPort && f.Key.RemotePort == remotePort && f.Key.Protocol == FlowProtocol.Udp).Key;

    /// <summary>A connected UDP socket of the test process and the loopback server it sends to, which never answers.</summary>
    private sealed class UdpSender : IDisposable
    {
        private readonly LoopbackServer server = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        private readonly Socket socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        public UdpSender() => socket.Connect(IPAddress.Loopback, server.Port);

        public int LocalPort => ((IPEndPoint)socket.LocalEndPoint!).Port;

        public int RemotePort => server.Port;

        public void Send(int datagrams)
        {
            byte[] payload = new byte[64];
            for (int i = 0; i < datagrams; i++)
            {
                socket.Send(payload);
            }
        }

        public void Dispose()
        {
            socket.Dispose();
            server.Dispose();
        }
    }
}
