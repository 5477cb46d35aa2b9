using OneWaySensor.Detection.Baseline;
using OneWaySensor.Flows;
using static OneWaySensor.Tests.Core.Baseline.BaselineFlows;

namespace OneWaySensor.Tests.Core.Baseline;

public class ImageBaselineTests
{
    [Theory]
    [InlineData(0ul, 0ul, TxRxRatio.NoPayload)]
    [InlineData(0ul, 10ul, TxRxRatio.RxOnly)]
    [InlineData(10ul, 0ul, TxRxRatio.TxOnly)]
    [InlineData(1ul, 101ul, TxRxRatio.BelowHundredth)]
    [InlineData(1ul, 100ul, TxRxRatio.BelowTenth)]
    [InlineData(1ul, 11ul, TxRxRatio.BelowTenth)]
    [InlineData(1ul, 10ul, TxRxRatio.BelowOne)]
    [InlineData(100ul, 101ul, TxRxRatio.BelowOne)]
    [InlineData(100ul, 100ul, TxRxRatio.BelowTen)]
    [InlineData(999ul, 100ul, TxRxRatio.BelowTen)]
    [InlineData(1000ul, 100ul, TxRxRatio.BelowHundred)]
    [InlineData(10_000ul, 100ul, TxRxRatio.HundredOrMore)]
    [InlineData(ulong.MaxValue, 1ul, TxRxRatio.HundredOrMore)]
    [InlineData(1ul, ulong.MaxValue, TxRxRatio.BelowHundredth)]
    public void Flows_are_bucketed_by_decades_of_tx_over_rx(ulong tx, ulong rx, TxRxRatio expected)
    {
        Assert.Equal(expected, TxRxRatios.Of(tx, rx));
    }

    [Fact]
    public void Every_bucket_has_a_name()
    {
        Assert.Equal(TxRxRatios.Count, TxRxRatios.Names.Count);
        Assert.Equal(TxRxRatios.Count, Enum.GetValues<TxRxRatio>().Length);
    }

    [Fact]
    public void Destinations_past_the_bound_are_counted_not_kept()
    {
        var baseline = new ImageBaseline("app:1", Start, maxDestinations: 3, maxPorts: 2);
        for (ushort port = 1; port <= 5; port++)
        {
            var destination = BaselineDestination.Of(Key(40000, "203.0.113.7", port));
            baseline.AddDestination(destination);
            baseline.AddPort(destination.Port);
        }

        // a kept destination seen again still counts, and is not dropped
        Assert.True(baseline.AddDestination(BaselineDestination.Of(Key(40001, "203.0.113.7", 1))));

        Assert.Equal(3, baseline.Destinations.Count);
        Assert.Equal(2ul, baseline.DestinationsDropped);
        Assert.Equal(2, baseline.Ports.Count);
        Assert.Equal(3ul, baseline.PortsDropped);
        Assert.Equal(2ul, baseline.Destinations[BaselineDestination.Of(Key(0, "203.0.113.7", 1))]);
    }

    [Fact]
    public void A_smaller_clone_keeps_the_most_used_destinations()
    {
        var baseline = new ImageBaseline("app:1", Start);
        baseline.AddDestination(BaselineDestination.Of(Key(1, "203.0.113.1", 443)), 5);
        baseline.AddDestination(BaselineDestination.Of(Key(1, "203.0.113.2", 443)), 1);
        baseline.AddDestination(BaselineDestination.Of(Key(1, "203.0.113.3", 443)), 9);

        ImageBaseline smaller = baseline.Clone(maxDestinations: 2);

        Assert.Equal(2, smaller.Destinations.Count);
        Assert.True(smaller.Knows(BaselineDestination.Of(Key(1, "203.0.113.3", 443))));
        Assert.True(smaller.Knows(BaselineDestination.Of(Key(1, "203.0.113.1", 443))));
        Assert.Equal(1ul, smaller.DestinationsDropped);
        Assert.Equal(3, baseline.Destinations.Count);
    }

    [Fact]
    public void A_clone_is_independent_of_its_original()
    {
        var baseline = new ImageBaseline("app:1", Start);
        baseline.AddRatio(TxRxRatio.TxOnly);
        ImageBaseline copy = baseline.Clone();

        baseline.AddRatio(TxRxRatio.BelowTen, 3);
        baseline.AddDestination(BaselineDestination.Of(Key(1, "203.0.113.1", 443)));

        Assert.Equal(1ul, copy.OutboundFlows);
        Assert.Empty(copy.Destinations);
        Assert.Equal(1.0, copy.OneWayShare);
        Assert.Equal(0.25, baseline.OneWayShare);
    }

    [Fact]
    public void Icmp_destinations_ignore_the_echo_identifier()
    {
        var first = BaselineDestination.Of(Key(17, "203.0.113.7", 17, FlowProtocol.Icmp));
        var second = BaselineDestination.Of(Key(4242, "203.0.113.7", 4242, FlowProtocol.Icmp));
        var tcp = BaselineDestination.Of(Key(17, "203.0.113.7", 17, FlowProtocol.Tcp));

        Assert.Equal(first, second);
        Assert.Equal(0, first.RemotePort);
        Assert.Equal(17, tcp.RemotePort);
    }
}
