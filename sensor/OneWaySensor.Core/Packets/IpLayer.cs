namespace OneWaySensor.Packets;

/// <summary>What an IP layer's payload turned out to carry, when it carried another IP packet.</summary>
public enum Encapsulation : byte
{
    None,
    Gre,
    Vxlan,
    Teredo,
    IpInIp,
}

/// <summary>
/// One IP header and its transport header, as flow accounting needs them.
/// Addresses are the 16 raw bytes of <see cref="Flows.FlowKey"/>'s form
/// (IPv4 in the first 4). Lengths come from the headers, never from the
/// captured length, so a packet cut short by the snap length still counts
/// its full size.
/// </summary>
public struct IpLayer
{
    /// <summary>4 or 6.</summary>
    public byte IpVersion;

    /// <summary>The transport protocol number (after IPv6 extension headers).</summary>
    public byte Protocol;

    public UInt128 Source;
    public UInt128 Destination;

    /// <summary>TCP and UDP ports; for ICMP and ICMPv6 the type and the code.</summary>
    public ushort SourcePort;
    public ushort DestinationPort;

    /// <summary>The IP header and everything after it: IPv4 total length, IPv6 payload length + 40.</summary>
    public uint IpBytes;

    /// <summary>
    /// Transport payload: TCP segment data, UDP data (UDP length - 8), ICMP data after its 8-byte header; 0 for unknown transports.
    /// A fragment counts its own share, so a datagram's fragments add up to its payload: the first its data after the transport
    /// header, a later one all its bytes.
    /// </summary>
    public uint PayloadBytes;

    /// <summary>TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80).</summary>
    public byte TcpFlags;
    public uint TcpSequence;
    public uint TcpAcknowledgment;

    /// <summary>True when the transport header was present and parsed (false for later fragments and cut-off headers).</summary>
    public bool HasTransportHeader;

    /// <summary>An IP fragment: the offset (in bytes), whether more follow, and the datagram's identification.</summary>
    public bool IsFragment;
    public bool MoreFragments;
    public uint FragmentOffset;
    public uint FragmentId;

    /// <summary>
    /// Checksums as found, when the parser was asked to verify them (IPv4 header; TCP, UDP, ICMP over the captured bytes).
    /// Checked when every checksum the layer has was computed (not for a segment cut by the snap length, nor a fragment's),
    /// or when one was found wrong (a wrong IPv4 header checksum shows even on a fragment).
    /// </summary>
    public bool ChecksumChecked;

    /// <summary>Checked, and no checksum was found wrong.</summary>
    public bool ChecksumValid;

    /// <summary>What this layer's payload carried, when it carried the next layer.</summary>
    public Encapsulation Carries;
}
