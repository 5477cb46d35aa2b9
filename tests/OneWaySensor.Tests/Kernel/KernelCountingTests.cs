using System.Net;
using OneWaySensor.Configuration;
using OneWaySensor.Flows;
using OneWaySensor.Linux;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// Loads the real programs, runs owsgen inside a cgroup of the test's own,
/// and checks that the kernel counted exactly what was sent and received.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class KernelCountingTests
{
    private const int Count = 20;
    private const int Size = 300;

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Udp_echo_counts_every_datagram_and_byte_both_ways(string address)
    {
        using var server = LoopbackServer.Udp(IPAddress.Parse(address), echo: true);
        (FlowState flow, TrafficResult sent) = Measure(address, "udp-echo", server.Port);

        ulong headers = (ulong)(IpHeader(address) + 8);
        Assert.Equal(FlowProtocol.Udp, flow.Key.Protocol);
        Assert.Equal(new FlowCounters(sent.SentPackets, sent.SentBytes + (sent.SentPackets * headers), sent.SentBytes), flow.Tx);
        Assert.Equal(new FlowCounters(sent.ReceivedPackets, sent.ReceivedBytes + (sent.ReceivedPackets * headers), sent.ReceivedBytes), flow.Rx);
        Assert.Equal(FlowInitiator.Local, flow.Initiator);
    }

    [SkippableTheory]
    [InlineData("udp-send", "127.0.0.1")]
    [InlineData("udp-echo", "::1")]
    [InlineData("tcp-send", "::1")]
    [InlineData("tcp-echo", "127.0.0.1")]
    public void A_flow_names_the_process_that_owns_its_socket_and_its_exec_is_reported(string mode, string address)
    {
        bool tcp = mode.StartsWith("tcp", StringComparison.Ordinal);
        bool echo = mode.EndsWith("echo", StringComparison.Ordinal);
        using var server = tcp ? LoopbackServer.Tcp(IPAddress.Parse(address), echo) : LoopbackServer.Udp(IPAddress.Parse(address), echo);
        var execs = new List<OneWaySensor.Processes.ProcessEvent>();
        (FlowState flow, TrafficResult sent) = Measure(address, mode, server.Port, execs);

        Assert.True(flow.Owner.Known, "the flow has an owner");
        Assert.Equal(sent.Pid, flow.Owner.Tgid);
        Assert.Equal("owsgen", flow.Owner.Comm.ToString());
        OneWaySensor.Processes.ProcessEvent exec = Assert.Single(execs, e => e.Kind == OneWaySensor.Processes.ProcessEventKind.Exec && e.Pid == sent.Pid);
        Assert.Equal(RepoPaths.TrafficGenerator, exec.Executable);
        Assert.Equal("owsgen", exec.Comm);
        Assert.Contains(execs, e => e.Kind == OneWaySensor.Processes.ProcessEventKind.Exit && e.Pid == sent.Pid && e.ExitCode == 0);
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Udp_one_way_sender_counts_sends_and_nothing_back(string address)
    {
        using var server = LoopbackServer.Udp(IPAddress.Parse(address), echo: false);
        (FlowState flow, TrafficResult sent) = Measure(address, "udp-send", server.Port);

        Assert.Equal((ulong)Count, flow.Tx.Packets);
        Assert.Equal((ulong)(Count * Size), flow.Tx.PayloadBytes);
        Assert.Equal(sent.SentBytes, flow.Tx.PayloadBytes);
        Assert.Equal(default, flow.Rx);
    }

    [SkippableTheory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    public void Tcp_counts_payload_exactly_and_packets_as_the_capture_saw_them(string address, bool echo)
    {
        Requirements.Tool("tcpdump");
        using var server = LoopbackServer.Tcp(IPAddress.Parse(address), echo);
        using var capture = Prepare(() => LoopbackCapture.Start(server.Port));
        (FlowState flow, TrafficResult sent) = Measure(address, echo ? "tcp-echo" : "tcp-send", server.Port);

        int txOnWire = capture.StopAndCount($"src port {sent.LocalPort}");
        int rxOnWire = capture.StopAndCount($"dst port {sent.LocalPort}");
        Assert.Equal(FlowProtocol.Tcp, flow.Key.Protocol);
        Assert.Equal(sent.SentBytes, flow.Tx.PayloadBytes);
        Assert.Equal(sent.ReceivedBytes, flow.Rx.PayloadBytes);
        Assert.Equal((ulong)txOnWire, flow.Tx.Packets);
        Assert.Equal((ulong)rxOnWire, flow.Rx.Packets);
        Assert.Equal(FlowInitiator.Local, flow.Initiator);
        Assert.True((flow.TxTcpFlags & 0x02) != 0, "the client's SYN was seen");
        Assert.True((flow.RxTcpFlags & 0x12) == 0x12, "the server's SYN-ACK was seen");
        Assert.True((flow.TxTcpFlags & 0x01) != 0 && (flow.RxTcpFlags & 0x01) != 0, "both FINs were seen");
    }

    [SkippableTheory]
    [InlineData("127.0.0.2")] // not the source address, so the request's own copy is another flow
    [InlineData("::1")]
    public void Icmp_echo_counts_requests_and_replies(string address)
    {
        (FlowState flow, TrafficResult sent) = Measure(address, "icmp-echo", port: null);

        int headers = IpHeader(address) + 8;
        Assert.True(flow.Key.Protocol is FlowProtocol.Icmp or FlowProtocol.IcmpV6);
        Assert.Equal(new FlowCounters(sent.SentPackets, sent.SentBytes + (sent.SentPackets * (ulong)headers), sent.SentBytes), flow.Tx);
        Assert.Equal(new FlowCounters(sent.ReceivedPackets, sent.ReceivedBytes + (sent.ReceivedPackets * (ulong)headers), sent.ReceivedBytes), flow.Rx);
    }

    [SkippableFact]
    public void Stopping_detaches_every_program()
    {
        Requirements.Root();
        Requirements.NativeLibrary();
        Requirements.Tool("bpftool");
        string root = Preflight.Run();
        int before = AttachedPrograms.Count(root);
        using (var source = new EbpfFlowSource(UnpinnedOptions.Create(), new FlowTable()))
        {
            source.Start(root);
            Assert.Equal(before + 2, AttachedPrograms.Count(root));
            source.Stop();
            Assert.Equal(before, AttachedPrograms.Count(root));
        }

        Assert.Equal(before, AttachedPrograms.Count(root));
    }

    private static int IpHeader(string address) => address.Contains(':', StringComparison.Ordinal) ? 40 : 20;

    private static T Prepare<T>(Func<T> start)
    {
        Requirements.Root();
        return start();
    }

    /// <summary>Runs one owsgen mode in a fresh cgroup under a freshly loaded sensor; returns the generator's flow.</summary>
    private static (FlowState Flow, TrafficResult Sent) Measure(string address, string mode, int? port, List<OneWaySensor.Processes.ProcessEvent>? processEvents = null)
    {
        Requirements.Root();
        Requirements.NativeLibrary();
        Requirements.Built();
        string root = Preflight.Run();
        var table = new FlowTable();
        using var cgroup = TestCgroup.Create("count");
        TrafficResult sent;
        var cgroupEvents = new List<OneWaySensor.Processes.ProcessEvent>();
        using (var source = new EbpfFlowSource(UnpinnedOptions.Create(pollIntervalMilliseconds: 100), table, processEvents: e =>
        {
            if (e.CgroupId == cgroup.Id)
            {
                cgroupEvents.Add(e);
            }
        }))
        {
            source.Start(root);
            string[] arguments = port is int p
                ? [mode, address, p.ToString(System.Globalization.CultureInfo.InvariantCulture), Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Size.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                : [mode, address, Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Size.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            sent = TrafficResult.From(cgroup.Run(RepoPaths.TrafficGenerator, arguments));
            Thread.Sleep(300); // the last ACK or echo is still in flight when the generator exits
            source.Stop();
            Assert.Equal(0ul, source.Health().Lost);
            Assert.True(source.Health().RecordsDispatched > 0, "flow-open records came through the ring buffer");
        }

        processEvents?.AddRange(cgroupEvents);

        List<FlowState> flows = table.Flows.Where(flow => flow.Key.CgroupId == cgroup.Id).ToList();
        FlowState? generator = flows.Where(flow => flow.Key.LocalPort == sent.LocalPort).Cast<FlowState?>().FirstOrDefault();
        Assert.True(generator is not null, $"no flow from port {sent.LocalPort} in cgroup {cgroup.Id}; it has: {string.Join(", ", flows.Select(f => $"{f.Key.Protocol} {f.Key.LocalPort}->{f.Key.RemotePort}"))}");
        return (generator.Value, sent);
    }
}
