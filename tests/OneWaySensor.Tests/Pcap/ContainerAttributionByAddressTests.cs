using OneWaySensor.Connections;
using OneWaySensor.Flows;
using OneWaySensor.Packets;

namespace OneWaySensor.Tests.Pcap;

/// <summary>A captured connection seen from the container that holds one of its addresses: its workload, its side as local.</summary>
public sealed class ContainerAttributionByAddressTests
{
    private const ulong Container = (1UL << 63) | 42;
    private static readonly UInt128 ContainerAddress = FlowAddress.FromIPAddress(System.Net.IPAddress.Parse("172.17.0.2"));
    private static readonly UInt128 Outside = FlowAddress.FromIPAddress(System.Net.IPAddress.Parse("10.9.8.7"));

    [Fact]
    public void A_connection_the_container_originates_is_its_flow_as_captured()
    {
        FlowState flow = Track(ContainerAddress, 40000, Outside, 9999);
        Assert.Equal(Container, flow.Key.CgroupId);
        Assert.Equal(ContainerAddress, flow.Key.LocalAddress);
        Assert.Equal(FlowInitiator.Local, flow.Initiator);
        Assert.Equal(3ul, flow.Tx.Packets);
        Assert.Equal(0ul, flow.Rx.Packets);
    }

    [Fact]
    public void A_connection_to_the_container_is_seen_from_it_the_originator_being_remote()
    {
        FlowState flow = Track(Outside, 40000, ContainerAddress, 9999);
        Assert.Equal(Container, flow.Key.CgroupId);
        Assert.Equal(ContainerAddress, flow.Key.LocalAddress);
        Assert.Equal(9999, flow.Key.LocalPort);
        Assert.Equal(Outside, flow.Key.RemoteAddress);
        Assert.Equal(FlowInitiator.Remote, flow.Initiator);
        Assert.Equal(0ul, flow.Tx.Packets);
        Assert.Equal(3ul, flow.Rx.Packets);
    }

    [Fact]
    public void Without_a_known_holder_the_originator_is_local_and_the_workload_the_host()
    {
        FlowState flow = Track(Outside, 40000, Outside + 1, 9999);
        Assert.Equal(0ul, flow.Key.CgroupId);
        Assert.Equal(Outside, flow.Key.LocalAddress);
    }

    private static FlowState Track(UInt128 source, ushort sourcePort, UInt128 destination, ushort destinationPort)
    {
        var table = new FlowTable();
        var tracker = new ConnectionTracker(_ => { });
        for (int i = 0; i < 3; i++)
        {
            var layer = new IpLayer { IpVersion = 4, Protocol = 17, Source = source, SourcePort = sourcePort, Destination = destination, DestinationPort = destinationPort, IpBytes = 128, PayloadBytes = 100, HasTransportHeader = true };
            tracker.Observe(layer, 1_000_000_000L * (i + 1));
        }

        tracker.ForEachOpen((ref Connection connection) => table.Observe(ConnectionFlows.Sample(connection, new OneContainer())));
        return Assert.Single(table.Flows);
    }

    private sealed class OneContainer : IAddressAttribution
    {
        public ulong WorkloadOf(UInt128 address, byte ipVersion) => address == ContainerAddress ? Container : 0;
    }
}
