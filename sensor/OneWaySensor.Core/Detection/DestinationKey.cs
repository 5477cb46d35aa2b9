using OneWaySensor.Flows;

namespace OneWaySensor.Detection;

/// <summary>
/// One remote endpoint as one cgroup talks to it. Flows are aggregated by it,
/// so a client's changing ephemeral ports do not split one pattern into many.
/// </summary>
public readonly record struct DestinationKey(ulong CgroupId, FlowProtocol Protocol, byte IpVersion, UInt128 RemoteAddress, ushort RemotePort)
{
    public static DestinationKey Of(in FlowKey flow) =>
        new(flow.CgroupId, flow.Protocol, flow.IpVersion, flow.RemoteAddress, flow.RemotePort);

    /// <summary>The same endpoint seen from every cgroup: what an outage has in common.</summary>
    public DestinationKey WithoutCgroup => this with { CgroupId = 0 };

    public System.Net.IPAddress Address => FlowAddress.ToIPAddress(RemoteAddress, IpVersion);

    /// <summary>
    /// Multicast and broadcast destinations (IPv6 neighbour discovery, MLD,
    /// mDNS, DHCP) never answer to the sender by design: one-way by nature,
    /// not a channel to a peer, so the rules leave them out.
    /// </summary>
    /// <remarks>Read from the raw bytes: asked of every destination on every poll, it must not allocate.</remarks>
    public bool IsMulticastOrBroadcast
    {
        get
        {
            if (IpVersion == 0)
            {
                return false;
            }

            Span<byte> bytes = stackalloc byte[16];
            WriteAddress(bytes);
            if (IpVersion == 6)
            {
                return bytes[0] == 0xff; // ff00::/8
            }

            return bytes[0] is >= 224 and <= 239 || System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes) == uint.MaxValue;
        }
    }

    /// <summary>
    /// 127.0.0.0/8, ::1 and IPv4-mapped 127/8: each network namespace's own,
    /// so never one destination shared by containers. Read from the raw bytes,
    /// as <see cref="IsMulticastOrBroadcast"/> is.
    /// </summary>
    public bool IsLoopback
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            WriteAddress(bytes);
            return IpVersion switch
            {
                4 => bytes[0] == 127,
                6 => (bytes[..15].IndexOfAnyExcept((byte)0) < 0 && bytes[15] == 1)
                    || (bytes[..10].IndexOfAnyExcept((byte)0) < 0 && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127),
                _ => false,
            };
        }
    }

    /// <summary>The remote address in network order, as <see cref="FlowKey"/> holds it.</summary>
    private void WriteAddress(Span<byte> bytes)
    {
        UInt128 raw = RemoteAddress;
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, in raw);
    }
}
