using System.Net;
using OneWaySensor.Detection;
using OneWaySensor.Flows;

namespace OneWaySensor.Tests.Core.Detection;

public sealed class DestinationKeyTests
{
    [Theory]
    [InlineData("224.0.0.251", true)] // mDNS
    [InlineData("239.255.255.250", true)] // SSDP
    [InlineData("255.255.255.255", true)]
    [InlineData("ff02::1", true)]
    [InlineData("ff05::1:3", true)]
    [InlineData("10.0.0.1", false)]
    [InlineData("223.255.255.255", false)]
    [InlineData("240.0.0.1", false)]
    [InlineData("255.255.255.254", false)]
    [InlineData("fe80::1", false)]
    [InlineData("::ffff:224.0.0.1", false)] // an IPv4-mapped address is IPv6 here, as IPAddress.IsIPv6Multicast has it
    public void Multicast_and_broadcast_are_read_from_the_raw_address(string address, bool expected)
    {
        IPAddress ip = IPAddress.Parse(address);
        var key = new DestinationKey(1, FlowProtocol.Udp, (byte)(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 6), FlowAddress.FromIPAddress(ip), 5353);

        Assert.Equal(expected, key.IsMulticastOrBroadcast);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.255.0.9", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)] // the same host's loopback, reached through an IPv6 socket
    [InlineData("126.255.255.255", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("::2", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("fe80::1", false)]
    public void Loopback_is_read_from_the_raw_address(string address, bool expected)
    {
        IPAddress ip = IPAddress.Parse(address);
        var key = new DestinationKey(1, FlowProtocol.Udp, (byte)(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 6), FlowAddress.FromIPAddress(ip), 53);

        Assert.Equal(expected, key.IsLoopback);
    }

    [Fact]
    public void Asking_allocates_nothing()
    {
        // asked of every destination on every poll
        var key = new DestinationKey(1, FlowProtocol.Udp, 4, FlowAddress.FromIPAddress(IPAddress.Parse("224.0.0.251")), 5353);
        _ = key.IsMulticastOrBroadcast;
        long before = GC.GetAllocatedBytesForCurrentThread();
        bool multicast = key.IsMulticastOrBroadcast;
        bool loopback = key.IsLoopback;
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(loopback);
        Assert.True(multicast);
    }
}
