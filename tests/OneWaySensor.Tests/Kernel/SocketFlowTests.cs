using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using OneWaySensor.Configuration;
using OneWaySensor.Flows;
using OneWaySensor.Linux;
using OneWaySensor.Tests.Support;
using static OneWaySensor.Tests.Support.InvariantText;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The kernel counts a socket's packets in the socket's own storage when
/// they belong to the flow its first packet opened, and in the flow map
/// otherwise (bpf/socket_flows.bpf.h). These check the seams: counts a
/// socket holds reach the sensor at every poll while it stays open; one
/// unconnected socket with two peers is two exact flows, one counted in the
/// socket and one in the map; a TCP server's handshake (seen on the
/// listener and the request socket) and the accepted socket's packets add
/// up to one exact flow; a socket whose counts near the room of their word
/// moves them itself; the time of a socket's last packet survives the move.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class SocketFlowTests
{
    private const int Count = 20;
    private const int Size = 300;

    [SkippableFact]
    public void Counts_an_open_socket_holds_reach_the_sensor_at_each_poll_before_it_closes()
    {
        Prepare();
        using var sink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var cgroup = TestCgroup.Create("socket-open");
        var table = new FlowTable();
        var seen = new ConcurrentQueue<(ulong Packets, bool SenderRunning)>();
        BackgroundProcess? sender = null;
        TrafficResult sent;

        // one datagram every 100 ms for 3 s from one socket: without the poll's flush the map would hold the first until the close
        using (var source = new EbpfFlowSource(Options(), table, afterPoll: _ =>
        {
            FlowState? flow = SenderFlow(table, cgroup.Id, sink.Port);
            if (flow is FlowState known && sender is not null)
            {
                seen.Enqueue((known.Tx.Packets, !sender.HasExited));
            }
        }))
        {
            source.Start(cgroup.Path);
            sender = cgroup.Start(RepoPaths.TrafficGenerator, "udp-send", "127.0.0.1", Text(sink.Port), "30", Text(Size), "100");
            sent = TrafficResult.From(sender.Wait(TimeSpan.FromSeconds(20)));
            Thread.Sleep(300);
            source.Stop();
            Assert.Equal(0ul, source.Health().Lost);
        }

        Assert.Contains(seen, sample => sample.SenderRunning && sample.Packets is > 1 and < 30);
        FlowState final = Assert.IsType<FlowState>(SenderFlow(table, cgroup.Id, sink.Port));
        Assert.Equal(new FlowCounters(30, sent.SentBytes + (30 * 28), sent.SentBytes), final.Tx);
        sender.Dispose();
    }

    [SkippableFact]
    public void A_sockets_last_packet_is_timed_when_it_was_sent_not_when_its_count_moved()
    {
        Prepare();
        using var sink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var cgroup = TestCgroup.Create("socket-time");
        var table = new FlowTable();
        TrafficResult sent;

        // no poll of its own during the test: the one at the stop moves the socket's counts, a second after its last packet
        using (var source = new EbpfFlowSource(UnpinnedOptions.Create(pollIntervalMilliseconds: 60_000), table))
        {
            source.Start(cgroup.Path);
            // 10 datagrams 100 ms apart (the last at about 0.9 s), then the socket held open and idle for 3 s
            using BackgroundProcess sender = cgroup.Start(RepoPaths.TrafficGenerator, "udp-send", "127.0.0.1", Text(sink.Port), "10", Text(Size), "100", "3000");
            Thread.Sleep(2000);
            Assert.False(sender.HasExited, "the sender still holds its socket open when the counts move");
            source.Stop();
            sent = TrafficResult.From(sender.Wait(TimeSpan.FromSeconds(20)));
        }

        FlowState flow = Assert.IsType<FlowState>(SenderFlow(table, cgroup.Id, sink.Port));
        Assert.Equal(sent.SentPackets, flow.Tx.Packets);
        // 9 gaps of at least 100 ms, less a tick or two (at most 10 ms each): the packet path stamps ticks, and the flush
        // reads them on the flow map's clock. The flush's own time would add the second the socket sat idle
        TimeSpan span = TimeSpan.FromTicks((flow.LastSeenUnixNs - flow.FirstSeenUnixNs) / 100);
        Assert.InRange(span, TimeSpan.FromMilliseconds(900 - 20), TimeSpan.FromMilliseconds(900 + 400));
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void One_unconnected_socket_answering_two_peers_is_two_exact_flows(string address)
    {
        Prepare();
        using var cgroup = TestCgroup.Create("socket-peers");
        var table = new FlowTable();
        string portFile = Path.Combine(Path.GetTempPath(), $"ows-echo-{Guid.NewGuid():N}");
        TrafficResult first, second;
        using (var source = new EbpfFlowSource(Options(), table))
        {
            source.Start(cgroup.Path);
            using BackgroundProcess server = cgroup.Start("python3", RepoPaths.TestTool("echo-server.py"), "udp", address, portFile, Text(2 * Count));
            int port = WaitForPort(portFile, server);

            // the clients run outside the cgroup: only the server's socket is counted
            first = TrafficResult.From(ProcessRunner.Run(RepoPaths.TrafficGenerator, ["udp-echo", address, Text(port), Text(Count), Text(Size)]));
            second = TrafficResult.From(ProcessRunner.Run(RepoPaths.TrafficGenerator, ["udp-echo", address, Text(port), Text(Count), Text(Size)]));
            Assert.Equal(0, server.Wait(TimeSpan.FromSeconds(20)).ExitCode);
            Thread.Sleep(300);
            source.Stop();
            Assert.Equal(0ul, source.Health().Lost);
        }

        File.Delete(portFile);
        ulong headers = (ulong)((address.Contains(':', StringComparison.Ordinal) ? 40 : 20) + 8);
        foreach (TrafficResult client in new[] { first, second })
        {
            FlowState flow = table.Flows.Single(f => f.Key.CgroupId == cgroup.Id && f.Key.RemotePort == client.LocalPort);
            Assert.Equal(new FlowCounters(client.SentPackets, client.SentBytes + (client.SentPackets * headers), client.SentBytes), flow.Rx);
            Assert.Equal(new FlowCounters(client.ReceivedPackets, client.ReceivedBytes + (client.ReceivedPackets * headers), client.ReceivedBytes), flow.Tx);
            Assert.Equal(FlowInitiator.Remote, flow.Initiator);
        }
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void A_tcp_servers_handshake_and_its_accepted_socket_add_up_to_one_exact_flow(string address)
    {
        Prepare();
        Requirements.Tool("tcpdump");
        using var cgroup = TestCgroup.Create("socket-accept");
        var table = new FlowTable();
        string portFile = Path.Combine(Path.GetTempPath(), $"ows-echo-{Guid.NewGuid():N}");
        TrafficResult client;
        int port, toServer, fromServer;
        using (var source = new EbpfFlowSource(Options(), table))
        {
            source.Start(cgroup.Path);
            using BackgroundProcess server = cgroup.Start("python3", RepoPaths.TestTool("echo-server.py"), "tcp", address, portFile, "1");
            port = WaitForPort(portFile, server);
            using var capture = LoopbackCapture.Start(port);
            client = TrafficResult.From(ProcessRunner.Run(RepoPaths.TrafficGenerator, ["tcp-echo", address, Text(port), Text(Count), Text(Size)]));
            Assert.Equal(0, server.Wait(TimeSpan.FromSeconds(20)).ExitCode);
            Thread.Sleep(300); // the last ACK
            source.Stop();
            Assert.Equal(0ul, source.Health().Lost);
            toServer = capture.StopAndCount($"dst port {port}");
            fromServer = capture.StopAndCount($"src port {port}");
        }

        File.Delete(portFile);
        FlowState flow = table.Flows.Single(f => f.Key.CgroupId == cgroup.Id && f.Key.LocalPort == port);
        Assert.Equal(client.LocalPort, flow.Key.RemotePort);
        Assert.Equal(client.SentBytes, flow.Rx.PayloadBytes);
        Assert.Equal(client.ReceivedBytes, flow.Tx.PayloadBytes);
        Assert.Equal((ulong)toServer, flow.Rx.Packets);
        Assert.Equal((ulong)fromServer, flow.Tx.Packets);
        Assert.Equal(FlowInitiator.Remote, flow.Initiator);
        Assert.True((flow.RxTcpFlags & 0x02) != 0, "the client's SYN was seen, on the listener");
        Assert.True((flow.TxTcpFlags & 0x12) == 0x12, "the SYN-ACK was seen, from the request socket");
        Assert.True((flow.TxTcpFlags & 0x01) != 0 && (flow.RxTcpFlags & 0x01) != 0, "both FINs were seen");
    }

    [SkippableFact]
    public void A_socket_whose_packet_count_passes_a_quarter_of_its_room_moves_its_counts_itself()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("bpftool");
        string objectFile = Path.Combine(RepoPaths.Out, "onewaysensor.bpf.o");
        Assert.True(File.Exists(objectFile), $"{objectFile} is not built (make builds it)");
        string pins = $"/sys/fs/bpf/ows-test-{Guid.NewGuid():N}";
        string frame = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(frame, UdpFrame(payload: 64));
            Directory.CreateDirectory(pins);
            Run("bpftool", "prog", "loadall", objectFile, pins + "/progs", "pinmaps", pins + "/maps");

            // BPF_PROG_TEST_RUN gives the runs one socket: its first packet goes to the map, the rest count in
            // the socket until the word's packet half passes 2^22 and the packet path flushes it (the rest stay
            // in the socket, which the run frees without a close)
            const int Runs = 4_200_000;
            Run("bpftool", "prog", "run", "pinned", pins + "/progs/ows_egress", "data_in", frame, "repeat", Runs.ToString(CultureInfo.InvariantCulture));

            using JsonDocument dump = JsonDocument.Parse(Run("bpftool", "-j", "map", "dump", "pinned", pins + "/maps/ows_flows"));
            JsonElement entry = Assert.Single(dump.RootElement.EnumerateArray());
            JsonElement tx = entry.GetProperty("formatted").GetProperty("value").GetProperty("tx");
            const ulong Packets = 1 + (1UL << 22) + 1;
            Assert.Equal(Packets, tx.GetProperty("packets").GetUInt64());
            Assert.Equal(Packets * (20 + 8 + 64), tx.GetProperty("ip_bytes").GetUInt64());
            Assert.Equal(Packets * 64, tx.GetProperty("payload_bytes").GetUInt64()); // derived at the flush for UDP
        }
        finally
        {
            File.Delete(frame);
            ProcessRunner.Run("rm", ["-rf", pins]);
        }
    }

    /// <summary>An Ethernet frame (the test run strips it) with a UDP datagram from 127.0.0.1:40000 to 127.0.0.1:5201.</summary>
    private static byte[] UdpFrame(int payload)
    {
        var frame = new byte[14 + 20 + 8 + payload];
        frame[12] = 0x08; // IPv4
        Span<byte> ip = frame.AsSpan(14);
        ip[0] = 0x45;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payload));
        ip[8] = 64;
        ip[9] = 17;
        ip[12] = ip[16] = 127;
        ip[15] = ip[19] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ip[20..], 40000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ip[22..], 5201);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ip[24..], (ushort)(8 + payload));
        return frame;
    }

    private static string Run(string program, params string[] arguments) =>
        ProcessRunner.Expect(ProcessRunner.Run(program, arguments), $"{program} {string.Join(' ', arguments)}").Stdout;

    private static void Prepare()
    {
        Requirements.Root();
        Requirements.NativeLibrary();
        Requirements.Built();
        Requirements.Tool("python3");
        Preflight.Run();
    }

    private static SensorOptions Options() => UnpinnedOptions.Create(pollIntervalMilliseconds: 100);

    private static FlowState? SenderFlow(FlowTable table, ulong cgroupId, int remotePort) =>
        table.Flows.Where(flow => flow.Key.CgroupId == cgroupId && flow.Key.RemotePort == remotePort).Cast<FlowState?>().FirstOrDefault();

    /// <summary>The port the server wrote; fails if it exits first or takes over 10 s.</summary>
    private static int WaitForPort(string portFile, BackgroundProcess server)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(portFile))
        {
            Assert.False(server.HasExited, "the echo server exited before it listened");
            Assert.True(DateTime.UtcNow < deadline, "the echo server did not listen within 10 s");
            Thread.Sleep(20);
        }

        return int.Parse(File.ReadAllText(portFile), CultureInfo.InvariantCulture);
    }
}
