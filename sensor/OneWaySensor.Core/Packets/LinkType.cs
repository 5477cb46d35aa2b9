namespace OneWaySensor.Packets;

/// <summary>
/// The link-layer header types (tcpdump.org LINKTYPE_ values, as capture
/// files and libpcap give them) that the parser reads. Any other value is
/// an unknown link type: the packet is skipped and counted.
/// </summary>
public enum LinkType
{
    /// <summary>BSD loopback: a 4-byte address family in host byte order.</summary>
    Null = 0,
    Ethernet = 1,

    /// <summary>Raw IP (some platforms' DLT_RAW values).</summary>
    RawAlt12 = 12,
    RawAlt14 = 14,
    Raw = 101,
    Ieee80211 = 105,

    /// <summary>OpenBSD loopback: a 4-byte address family in network byte order.</summary>
    Loop = 108,
    LinuxSll = 113,
    Radiotap = 127,
    Ipv4 = 228,
    Ipv6 = 229,
    LinuxSll2 = 276,
}
