using OneWaySensor.Flows;

namespace OneWaySensor.Windows.Etw;

/// <summary>
/// ETW reports payload sizes only, so a flow's IP bytes are estimated: the
/// payload plus a minimal IP header (20 bytes for IPv4, 40 for IPv6) and a
/// minimal L4 header (20 for TCP, 8 for UDP). TCP options (timestamps add 12
/// bytes to most segments) and IPv6 extension headers are not seen, and a
/// send that TCP splits into several segments is counted with one header.
/// </summary>
internal static class HeaderEstimate
{
    public const uint Ipv4Header = 20;
    public const uint Ipv6Header = 40;
    public const uint TcpHeader = 20;
    public const uint UdpHeader = 8;

    public static ulong IpBytes(byte ipVersion, FlowProtocol protocol, uint payload) =>
        (ipVersion == 6 ? Ipv6Header : Ipv4Header) + (protocol == FlowProtocol.Udp ? UdpHeader : TcpHeader) + (ulong)payload;
}
