using System.Net;
using OneWaySensor.Detection;
using OneWaySensor.Flows;

namespace OneWaySensor.Tests.Core.Baseline;

/// <summary>Synthetic flows of one container for the baseline tests.</summary>
internal static class BaselineFlows
{
    public const long Second = UnixTime.NanosecondsPerSecond;
    public const long Start = 1_800_000_000 * Second;
    public const ulong Cgroup = 42;

    public static FlowKey Key(ushort localPort, string remote, ushort remotePort, FlowProtocol protocol = FlowProtocol.Tcp, ulong cgroup = Cgroup)
    {
        IPAddress address = IPAddress.Parse(remote);
        byte version = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? (byte)4 : (byte)6;
        IPAddress local = version == 4 ? IPAddress.Parse("10.1.0.2") : IPAddress.Parse("fd00::2");
        return new FlowKey(cgroup, version, protocol, FlowAddress.FromIPAddress(local), localPort, FlowAddress.FromIPAddress(address), remotePort);
    }

    public static FlowState Flow(FlowKey key, ulong txPayload, ulong rxPayload, long firstSeen, FlowInitiator initiator = FlowInitiator.Local) => new()
    {
        Key = key,
        Tx = new FlowCounters(txPayload > 0 ? 4u : 1u, 200 + txPayload, txPayload),
        Rx = new FlowCounters(rxPayload > 0 ? 3u : 0u, rxPayload > 0 ? 150 + rxPayload : 0, rxPayload),
        Initiator = initiator,
        FirstSeenUnixNs = firstSeen,
        LastSeenUnixNs = firstSeen,
    };

    public static FlowState Flow(ushort localPort, string remote, ushort remotePort, ulong txPayload, ulong rxPayload, long firstSeen, FlowProtocol protocol = FlowProtocol.Tcp) =>
        Flow(Key(localPort, remote, remotePort, protocol), txPayload, rxPayload, firstSeen);

    public static DestinationKey Destination(in FlowState flow) => DestinationKey.Of(flow.Key);
}
