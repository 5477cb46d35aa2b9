using System.Runtime.CompilerServices;

namespace OneWaySensor.Packets;

/// <summary>Up to four nested IP layers of one packet, outermost first, held inline: parsing allocates nothing.</summary>
[InlineArray(MaxDepth)]
public struct IpLayers
{
    public const int MaxDepth = 4;

    private IpLayer first;
}

/// <summary>The IP layers of one packet; <see cref="Count"/> of <see cref="Layers"/> are filled, the last is the innermost.</summary>
public struct PacketLayers
{
    public IpLayers Layers;
    public int Count;

    public readonly bool IsEmpty => Count == 0;
}

/// <summary>What the parser made of a frame.</summary>
public enum PacketParseResult : byte
{
    /// <summary>At least one IP layer was parsed.</summary>
    Ip,

    /// <summary>A well-formed frame without IP (ARP, LLDP, 802.11 management, ...): skipped.</summary>
    NotIp,

    /// <summary>The frame ends inside a header the parser needed.</summary>
    Truncated,

    /// <summary>A header field contradicts the frame (a length shorter than its header, a bad version).</summary>
    Malformed,

    /// <summary>The capture's link type is not one the parser reads.</summary>
    UnknownLinkType,
}
