using OneWaySensor.Flows;

namespace OneWaySensor.Tests.Core;

/// <summary>
/// The flow key's own hash: every field counts, and keys that differ only in
/// the few bits a busy host varies (a port, an address's last bytes) spread,
/// since the flow table is a dictionary keyed by it.
/// </summary>
public sealed class FlowKeyTests
{
    private static readonly FlowKey Base = new(4242, 4, FlowProtocol.Tcp, Address(0x0200_11ac), 40000, Address(0x0100_000a), 443);

    [Fact]
    public void Equal_keys_hash_alike()
    {
        FlowKey copy = Base with { };

        Assert.Equal(Base, copy);
        Assert.Equal(Base.GetHashCode(), copy.GetHashCode());
    }

    [Fact]
    public void Every_field_changes_the_hash()
    {
        FlowKey[] changed =
        [
            Base with { CgroupId = Base.CgroupId + 1 },
            Base with { IpVersion = 6 },
            Base with { Protocol = FlowProtocol.Udp },
            Base with { LocalAddress = Base.LocalAddress + 1 },
            Base with { LocalAddress = Base.LocalAddress + ((UInt128)1 << 100) },
            Base with { LocalPort = (ushort)(Base.LocalPort + 1) },
            Base with { RemoteAddress = Base.RemoteAddress + 1 },
            Base with { RemoteAddress = Base.RemoteAddress + ((UInt128)1 << 100) },
            Base with { RemotePort = (ushort)(Base.RemotePort + 1) },
        ];

        Assert.All(changed, key => Assert.NotEqual(Base.GetHashCode(), key.GetHashCode()));
    }

    [Fact]
    public void Keys_that_differ_in_a_port_and_an_address_byte_spread_over_buckets()
    {
        // 65 536 flows to one service from one container, as a scan or a burst of clients makes
        const int Buckets = 65_537; // a prime, as the dictionary's bucket counts are
        var used = new HashSet<int>();
        for (int i = 0; i < 65_536; i++)
        {
            FlowKey key = Base with { LocalPort = (ushort)(32768 + (i & 0x3fff)), RemoteAddress = Address(0x0000_000a | ((uint)(i >> 14) << 24)) };
            used.Add((int)((uint)key.GetHashCode() % Buckets));
        }

        // random placement fills 1 - 1/e of the buckets (63 %)
        Assert.True(used.Count > Buckets * 6 / 10, $"{used.Count} of {Buckets} buckets used");
    }

    private static UInt128 Address(uint ipv4InNetworkOrderBytes) => ipv4InNetworkOrderBytes;
}
