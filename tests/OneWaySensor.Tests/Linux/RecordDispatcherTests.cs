using System.Net;
using OneWaySensor.Flows;
using OneWaySensor.Linux.Kernel;

namespace OneWaySensor.Tests.Linux;

public sealed class RecordDispatcherTests
{
    private static FlowKeyRecord SomeKey() =>
        RecordWriter.Key(9, FlowProtocol.Tcp, IPAddress.Parse("::1"), 40000, IPAddress.Parse("::1"), 443);

    [Fact]
    public void A_flow_open_record_opens_the_flow_with_its_first_packet()
    {
        var table = new FlowTable();
        var handler = new FlowRecordHandler(table) { Clock = new MonotonicClock(1_000) };
        RecordDispatcher dispatcher = handler.CreateDispatcher();
        var buffer = new byte[FlowOpenRecord.ByteSize];
        RecordWriter.FlowOpen(buffer, SomeKey(), timestampNs: 5_000, initiator: 0, ipBytes: 80, payloadBytes: 0, tcpFlags: 0x02);

        dispatcher.Dispatch(buffer);

        FlowState flow = Assert.Single(table.Flows);
        Assert.Equal(6, flow.Key.IpVersion);
        Assert.Equal(FlowProtocol.Tcp, flow.Key.Protocol);
        Assert.Equal(40000, flow.Key.LocalPort);
        Assert.Equal(443, flow.Key.RemotePort);
        Assert.Equal(IPAddress.IPv6Loopback, FlowAddress.ToIPAddress(flow.Key.RemoteAddress, 6));
        Assert.Equal(new FlowCounters(1, 80, 0), flow.Tx);
        Assert.Equal(0x02, flow.TxTcpFlags);
        Assert.Equal(6_000, flow.FirstSeenUnixNs);
        Assert.Equal(1ul, dispatcher.Counters.Dispatched);
    }

    [Fact]
    public void A_syn_ack_opening_counts_inbound_and_names_the_local_side_as_initiator()
    {
        var table = new FlowTable();
        RecordDispatcher dispatcher = new FlowRecordHandler(table).CreateDispatcher();
        var buffer = new byte[FlowOpenRecord.ByteSize];

        // the kernel saw the SYN-ACK arrive first (ingress), so the remote side opened it
        RecordWriter.FlowOpen(buffer, SomeKey(), 1, initiator: 0, ipBytes: 60, payloadBytes: 0, tcpFlags: 0x12);
        dispatcher.Dispatch(buffer);

        FlowState flow = Assert.Single(table.Flows);
        Assert.Equal(FlowInitiator.Local, flow.Initiator);
        Assert.Equal(new FlowCounters(1, 60, 0), flow.Rx);
        Assert.Equal(0x12, flow.RxTcpFlags);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(15)]
    public void A_record_shorter_than_a_header_is_counted_as_short(int length)
    {
        RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable()).CreateDispatcher();
        dispatcher.Dispatch(new byte[length]);
        Assert.Equal(1ul, dispatcher.Counters.ShortRecord);
        Assert.Equal(0ul, dispatcher.Counters.Dispatched);
    }

    [Fact]
    public void A_record_declaring_more_than_it_holds_is_counted_as_short()
    {
        RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable()).CreateDispatcher();
        var buffer = new byte[40];
        RecordWriter.Raw(buffer, (ushort)RecordKind.FlowOpen, 1, declaredSize: 88, actualSize: 40);
        dispatcher.Dispatch(buffer);
        Assert.Equal(1ul, dispatcher.Counters.ShortRecord);
    }

    [Fact]
    public void A_flow_open_record_too_short_for_its_body_is_counted_as_short()
    {
        RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable()).CreateDispatcher();
        var buffer = new byte[40];
        RecordWriter.Raw(buffer, (ushort)RecordKind.FlowOpen, 1, declaredSize: 40, actualSize: 40);
        dispatcher.Dispatch(buffer);
        Assert.Equal(1ul, dispatcher.Counters.ShortRecord);
        Assert.Equal(0ul, dispatcher.Counters.Dispatched);
    }

    [Fact]
    public void Oversized_malformed_unknown_and_wrong_version_records_each_have_a_counter()
    {
        RecordDispatcher dispatcher = new FlowRecordHandler(new FlowTable()).CreateDispatcher();
        var buffer = new byte[128];

        RecordWriter.Raw(buffer, (ushort)RecordKind.FlowOpen, 1, declaredSize: 1 << 20, actualSize: 128);
        dispatcher.Dispatch(buffer);
        RecordWriter.Raw(buffer, (ushort)RecordKind.FlowOpen, 1, declaredSize: 4, actualSize: 128);
        dispatcher.Dispatch(buffer);
        RecordWriter.Raw(buffer, kind: 77, 1, declaredSize: 88, actualSize: 128);
        dispatcher.Dispatch(buffer);
        RecordWriter.Raw(buffer, (ushort)RecordKind.FlowOpen, version: 9, declaredSize: 88, actualSize: 128);
        dispatcher.Dispatch(buffer);

        DispatchCounters counters = dispatcher.Counters;
        Assert.Equal(1ul, counters.Oversized);
        Assert.Equal(1ul, counters.Malformed);
        Assert.Equal(1ul, counters.UnknownKind);
        Assert.Equal(1ul, counters.BadVersion);
        Assert.Equal(4ul, counters.Skipped);
        Assert.Equal(0ul, counters.Dispatched);
    }

    [Fact]
    public void A_throwing_handler_is_counted_and_the_next_record_still_dispatches()
    {
        var dispatcher = new RecordDispatcher();
        int calls = 0;
        dispatcher.Register(RecordKind.FlowOpen, FlowOpenRecord.ByteSize, _ =>
        {
            if (calls++ == 0)
            {
                throw new InvalidOperationException("first one fails");
            }
        });
        byte[] batch = RecordWriter.FlowOpenBatch(2);

        Assert.Equal(2, dispatcher.DispatchAll(batch));
        Assert.Equal(1ul, dispatcher.Counters.HandlerFailed);
        Assert.Equal(1ul, dispatcher.Counters.Dispatched);
        Assert.IsType<InvalidOperationException>(dispatcher.FirstHandlerFailure);
    }

    [Fact]
    public void A_batch_dispatches_every_record_and_stops_at_a_truncated_tail()
    {
        var table = new FlowTable();
        RecordDispatcher dispatcher = new FlowRecordHandler(table).CreateDispatcher();
        byte[] batch = RecordWriter.FlowOpenBatch(10);

        int read = dispatcher.DispatchAll(batch.AsSpan(0, batch.Length - 5));

        Assert.Equal(9, read);
        Assert.Equal(9, table.Count);
        Assert.Equal(1ul, dispatcher.Counters.ShortRecord);
    }
}
