using OneWaySensor.Detection.Scoring;
using OneWaySensor.Flows;
using OneWaySensor.Windows.Etw;
using static OneWaySensor.Tests.Etw.EtwRecording;

namespace OneWaySensor.Tests.Etw;

/// <summary>Recorded ETW event sequences through the mapper into the flow table.</summary>
public sealed class EtwFlowMapperTests
{
    private const long IdleTimeout = 300 * Second;

    private readonly FlowTable table = new();
    private readonly EtwRecording recording = new();

    private static readonly Socket Client = Socket.Of(4242, "10.0.0.5", 50123, "203.0.113.7", 443);

    [Fact]
    public void A_tcp_client_connection_becomes_one_local_flow_with_per_call_counts_and_estimated_ip_bytes()
    {
        var mapper = new EtwFlowMapper(table);
        recording.Connect(Client).Send(Client, 517).Recv(Client, 1400).Recv(Client, 2900).Send(Client, 80).Disconnect(Client);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        FlowState flow = Single(Client.Key());
        Assert.Equal(FlowInitiator.Local, flow.Initiator);
        Assert.Equal(new FlowCounters(2, 517 + 80 + (2 * 40), 597), flow.Tx);
        Assert.Equal(new FlowCounters(2, 1400 + 2900 + (2 * 40), 4300), flow.Rx);
        Assert.Equal(4242u, flow.Owner.Tgid);
        Assert.True(flow.Owner.Known);
        Assert.Equal(Start, flow.FirstSeenUnixNs);
        Assert.Equal(Start + (5 * Millisecond), flow.LastSeenUnixNs);

        // SYN and ACK out, SYN-ACK back (proved by the data), FIN both ways
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Fin, flow.TxTcpFlags);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Fin, flow.RxTcpFlags);
        Assert.Equal(ConnState.SF, ConnStateClassifier.Classify(flow));
        Assert.Equal(0ul, flow.Key.CgroupId);
    }

    [Fact]
    public void A_one_way_udp_sender_has_transmit_counters_and_none_received()
    {
        var mapper = new EtwFlowMapper(table);
        Socket beacon = Socket.Of(777, "10.0.0.5", 50000, "198.51.100.9", 9999);
        for (int i = 0; i < 10; i++)
        {
            recording.UdpSend(beacon, 120).Wait(Second);
        }

        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        FlowState flow = Single(beacon.Key(FlowProtocol.Udp));
        Assert.Equal(FlowInitiator.Local, flow.Initiator);
        Assert.Equal(new FlowCounters(10, 10 * (120 + 28), 1200), flow.Tx);
        Assert.Equal(default, flow.Rx);
        Assert.Equal(0, flow.TxTcpFlags | flow.RxTcpFlags);
        Assert.Equal(ConnState.S0, ConnStateClassifier.Classify(flow));
    }

    [Fact]
    public void An_accepted_inbound_connection_is_initiated_by_the_remote_side()
    {
        var mapper = new EtwFlowMapper(table);
        Socket server = Socket.Of(900, "10.0.0.5", 8080, "192.0.2.44", 61000);
        recording.Accept(server).Recv(server, 300).Send(server, 4000).Disconnect(server);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        FlowState flow = Single(server.Key());
        Assert.Equal(FlowInitiator.Remote, flow.Initiator);
        Assert.Equal(new FlowCounters(1, 340, 300), flow.Rx);
        Assert.Equal(new FlowCounters(1, 4040, 4000), flow.Tx);
        Assert.Equal(900u, flow.Owner.Tgid);

        // the peer's SYN in, this host's SYN-ACK out
        Assert.NotEqual(0, flow.RxTcpFlags & TcpFlags.Syn);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, flow.TxTcpFlags & (TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(ConnState.SF, ConnStateClassifier.Classify(flow));
    }

    [Fact]
    public void An_ipv6_connection_keys_on_its_sixteen_byte_addresses_and_counts_ipv6_headers()
    {
        var mapper = new EtwFlowMapper(table);
        Socket v6 = Socket.Of(31, "2001:db8::5", 50555, "2001:db8:ffff::1", 443);
        recording.Connect(v6).Send(v6, 1000).Recv(v6, 50).UdpSend(v6, 10);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        FlowState tcp = Single(v6.Key(), expectedFlows: 2);
        Assert.Equal(6, tcp.Key.IpVersion);
        Assert.Equal(System.Net.IPAddress.Parse("2001:db8:ffff::1"), FlowAddress.ToIPAddress(tcp.Key.RemoteAddress, 6));
        Assert.Equal(new FlowCounters(1, 1000 + 60, 1000), tcp.Tx);
        Assert.Equal(new FlowCounters(1, 50 + 60, 50), tcp.Rx);

        // the same tuple over UDP is a flow of its own
        Assert.True(table.TryGet(v6.Key(FlowProtocol.Udp), out FlowState udp));
        Assert.Equal(new FlowCounters(1, 10 + 48, 10), udp.Tx);
    }

    [Fact]
    public void Processes_in_different_containers_get_their_containers_keys_as_cgroup_ids()
    {
        var containers = new FakeContainers { [100] = 0xC0FFEE, [200] = 0xBEEF };
        var mapper = new EtwFlowMapper(table, containers);
        Socket inFirst = Socket.Of(100, "172.20.0.2", 40000, "203.0.113.7", 443);
        Socket inSecond = Socket.Of(200, "172.20.0.3", 40000, "203.0.113.7", 443);
        Socket onHost = Socket.Of(300, "10.0.0.5", 40000, "203.0.113.7", 443);
        recording.Connect(inFirst).Send(inFirst, 10).Connect(inSecond).Send(inSecond, 20).Connect(onHost).Send(onHost, 30);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        Assert.Equal(3, table.Count);
        Assert.True(table.TryGet(inFirst.Key(cgroupId: 0xC0FFEE), out FlowState first));
        Assert.True(table.TryGet(inSecond.Key(cgroupId: 0xBEEF), out FlowState second));
        Assert.True(table.TryGet(onHost.Key(cgroupId: 0), out FlowState host));
        Assert.Equal((100u, 10ul), (first.Owner.Tgid, first.Tx.PayloadBytes));
        Assert.Equal((200u, 20ul), (second.Owner.Tgid, second.Tx.PayloadBytes));
        Assert.Equal((300u, 30ul), (host.Owner.Tgid, host.Tx.PayloadBytes));
        Assert.Equal(10ul, table.Cgroups[0xC0FFEE].Tx.PayloadBytes);
        Assert.Equal(20ul, table.Cgroups[0xBEEF].Tx.PayloadBytes);
        Assert.Equal(1ul, table.Cgroups[0].Flows);
    }

    [Fact]
    public void Interleaved_flows_keep_their_own_counts_across_polls()
    {
        var mapper = new EtwFlowMapper(table);
        Socket web = Socket.Of(10, "10.0.0.5", 50001, "203.0.113.7", 443);
        Socket dns = Socket.Of(11, "10.0.0.5", 53000, "192.0.2.53", 53);
        Socket ssh = Socket.Of(12, "10.0.0.5", 22, "192.0.2.200", 60222);
        recording.Connect(web).UdpSend(dns, 40).Accept(ssh).Send(web, 100).UdpRecv(dns, 200).Recv(ssh, 36).Recv(web, 5000);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        // more of each after the first poll: the table adds only what is new
        recording.Send(web, 100).Send(ssh, 64).UdpSend(dns, 40).Recv(web, 5000).UdpRecv(dns, 200);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        Assert.Equal(3, table.Count);
        FlowState webFlow = Single(web.Key(), expectedFlows: 3);
        Assert.Equal((2ul, 200ul), (webFlow.Tx.Packets, webFlow.Tx.PayloadBytes));
        Assert.Equal((2ul, 10000ul), (webFlow.Rx.Packets, webFlow.Rx.PayloadBytes));
        Assert.Equal(10u, webFlow.Owner.Tgid);

        Assert.True(table.TryGet(dns.Key(FlowProtocol.Udp), out FlowState dnsFlow));
        Assert.Equal((2ul, 80ul, 2ul, 400ul), (dnsFlow.Tx.Packets, dnsFlow.Tx.PayloadBytes, dnsFlow.Rx.Packets, dnsFlow.Rx.PayloadBytes));
        Assert.Equal(FlowInitiator.Local, dnsFlow.Initiator);

        Assert.True(table.TryGet(ssh.Key(), out FlowState sshFlow));
        Assert.Equal(FlowInitiator.Remote, sshFlow.Initiator);
        Assert.Equal((1ul, 64ul, 1ul, 36ul), (sshFlow.Tx.Packets, sshFlow.Tx.PayloadBytes, sshFlow.Rx.Packets, sshFlow.Rx.PayloadBytes));
        Assert.Equal(0ul, table.Counters.Restarted);
        Assert.Equal(0ul, table.Counters.Evicted);
    }

    [Fact]
    public void A_udp_flow_whose_first_datagram_came_in_was_initiated_by_the_peer()
    {
        var mapper = new EtwFlowMapper(table);
        Socket listener = Socket.Of(55, "10.0.0.5", 514, "192.0.2.9", 40514);
        recording.UdpRecv(listener, 90).UdpSend(listener, 10);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        Assert.Equal(FlowInitiator.Remote, Single(listener.Key(FlowProtocol.Udp)).Initiator);
    }

    [Fact]
    public void A_retransmission_counts_a_packet_and_its_ip_bytes_but_not_its_payload_again()
    {
        var mapper = new EtwFlowMapper(table);
        recording.Connect(Client).Send(Client, 1000).Retransmit(Client, 1000);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        Assert.Equal(new FlowCounters(2, 2 * 1040, 1000), Single(Client.Key()).Tx);
    }

    [Fact]
    public void A_connect_with_no_data_after_it_still_looks_unanswered()
    {
        // the connect event alone does not prove the handshake finished (see TrackedFlow.MarkEstablished)
        var mapper = new EtwFlowMapper(table);
        recording.Connect(Client);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        FlowState flow = Single(Client.Key());
        Assert.Equal(TcpFlags.Syn, flow.TxTcpFlags);
        Assert.Equal(0, flow.RxTcpFlags);
        Assert.Equal(ConnState.S0, ConnStateClassifier.Classify(flow));
    }

    [Fact]
    public void A_connection_the_session_joined_midstream_has_no_syn_and_its_first_direction_as_initiator()
    {
        var mapper = new EtwFlowMapper(table);
        recording.Recv(Client, 700).Send(Client, 20);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        FlowState flow = Single(Client.Key());
        Assert.Equal(FlowInitiator.Remote, flow.Initiator);
        Assert.Equal(TcpFlags.Ack, flow.TxTcpFlags);
        Assert.Equal(TcpFlags.Ack, flow.RxTcpFlags);
    }

    [Fact]
    public void A_flow_is_reported_to_the_table_at_its_first_event_before_any_poll()
    {
        var mapper = new EtwFlowMapper(table);
        recording.UdpSend(Client, 64);
        recording.ReplayInto(mapper);

        Assert.True(table.TryGet(Client.Key(FlowProtocol.Udp), out FlowState opened));
        Assert.Equal(new FlowCounters(1, 92, 64), opened.Tx);
        Assert.Equal(4242u, opened.Owner.Tgid);

        // the next poll adds only what came after the opening
        recording.UdpSend(Client, 64);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);
        Assert.Equal(new FlowCounters(2, 184, 128), Single(Client.Key(FlowProtocol.Udp)).Tx);
    }

    [Fact]
    public void A_tuple_reused_after_a_disconnect_is_a_new_connection_and_the_first_ones_traffic_is_kept()
    {
        var mapper = new EtwFlowMapper(table);
        recording.Connect(Client).Send(Client, 100).Disconnect(Client).Connect(Client).Send(Client, 7);
        recording.ReplayInto(mapper);
        mapper.Poll(recording.Now, IdleTimeout);

        FlowState flow = Single(Client.Key());
        Assert.Equal((2ul, 107ul), (flow.Tx.Packets, flow.Tx.PayloadBytes));
        Assert.Equal(Start, flow.FirstSeenUnixNs);
        Assert.Equal(Start + (4 * Millisecond), flow.LastSeenUnixNs);
        Assert.Equal(1ul, mapper.Counters.Reused);
        Assert.Equal(1ul, table.Counters.Restarted);
    }

    [Fact]
    public void Idle_flows_leave_the_mapper_and_the_table_together()
    {
        var mapper = new EtwFlowMapper(table);
        Socket quiet = Socket.Of(1, "10.0.0.5", 50002, "203.0.113.8", 443);
        recording.Connect(quiet).Send(quiet, 10).Wait(10 * Second).Connect(Client).Send(Client, 10);
        recording.ReplayInto(mapper);

        mapper.Poll(Start + (10 * Second) + (5 * Millisecond), idleTimeoutNs: 5 * Second);

        Assert.False(table.TryGet(quiet.Key(), out _));
        Assert.True(table.TryGet(Client.Key(), out _));
        Assert.Equal(1ul, mapper.Counters.ActiveFlows);
        Assert.Equal(1ul, table.Counters.Expired);

        // the tuple seen again later is a fresh flow in both
        recording.Send(quiet, 5);
        recording.ReplayInto(mapper);
        Assert.True(table.TryGet(quiet.Key(), out FlowState again));
        Assert.Equal(5ul, again.Tx.PayloadBytes);
    }

    [Fact]
    public void Events_the_mapper_cannot_use_are_counted_and_dropped()
    {
        var mapper = new EtwFlowMapper(table);
        recording.Disconnect(Client);
        recording.ReplayInto(mapper);
        mapper.Add(new NetworkEvent(NetworkEventKind.UdpSend, 1, 5, UInt128.Zero, 1, UInt128.Zero, 2, 10, Start));
        mapper.Add(new NetworkEvent((NetworkEventKind)99, 1, 4, UInt128.Zero, 1, UInt128.Zero, 2, 10, Start));

        Assert.Equal(0, table.Count);
        Assert.Equal(new EtwMapperCounters(Events: 3, Malformed: 2, UnseenDisconnects: 1, Reused: 0, ActiveFlows: 0), mapper.Counters);
    }

    [Fact]
    public void Counting_events_of_known_flows_allocates_nothing()
    {
        var mapper = new EtwFlowMapper(table);
        Socket udp = Socket.Of(5, "10.0.0.5", 50003, "203.0.113.9", 53);
        recording.Connect(Client).Send(Client, 1).UdpSend(udp, 1);
        recording.ReplayInto(mapper);
        var send = new NetworkEvent(NetworkEventKind.TcpSend, 4242, 4, Client.Key().LocalAddress, Client.LocalPort, Client.Key().RemoteAddress, Client.RemotePort, 100, Start + Second);
        var datagram = new NetworkEvent(NetworkEventKind.UdpSend, 5, 4, udp.Key().LocalAddress, udp.LocalPort, udp.Key().RemoteAddress, udp.RemotePort, 100, Start + Second);
        mapper.Add(send);
        mapper.Add(datagram);
        mapper.Poll(Start + Second, IdleTimeout);

        // warm: the measured loop runs optimized code, not the JIT's first tiers
        for (int i = 0; i < 10_000; i++)
        {
            mapper.Add(send);
            mapper.Add(datagram);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            mapper.Add(send);
            mapper.Add(datagram);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        mapper.Poll(Start + (2 * Second), IdleTimeout);
        Assert.Equal(0, allocated);
        Assert.Equal(20_002ul, Single(Client.Key(), expectedFlows: 2).Tx.Packets);
    }

    private FlowState Single(FlowKey key, int expectedFlows = 1)
    {
        Assert.Equal(expectedFlows, table.Count);
        Assert.True(table.TryGet(key, out FlowState flow), "the flow is in the table");
        return flow;
    }

    /// <summary>A container runtime's answer, as a dictionary of pid to container key.</summary>
    private sealed class FakeContainers : Dictionary<uint, ulong>, IProcessContainerResolver
    {
        public ulong ContainerOf(uint processId) => TryGetValue(processId, out ulong key) ? key : 0;
    }
}
