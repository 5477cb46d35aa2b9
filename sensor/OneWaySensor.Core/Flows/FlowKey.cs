using System.Net;
using System.Runtime.InteropServices;

namespace OneWaySensor.Flows;

/// <summary>
/// One flow as one cgroup sees it: local is the socket inside the cgroup.
/// Addresses hold the 16 raw bytes of the IP address (IPv4 in the first 4),
/// kept as a <see cref="UInt128"/> so the key is an unmanaged value with no
/// allocation; <see cref="FlowAddress"/> converts for output.
/// </summary>
public readonly record struct FlowKey(
    ulong CgroupId,
    byte IpVersion,
    FlowProtocol Protocol,
    UInt128 LocalAddress,
    ushort LocalPort,
    UInt128 RemoteAddress,
    ushort RemotePort);

/// <summary>Converts the raw 16-byte address form of <see cref="FlowKey"/> to and from <see cref="IPAddress"/>.</summary>
public static class FlowAddress
{
    /// <summary>Reads 16 raw address bytes (in network order) into the key's form.</summary>
    public static UInt128 FromBytes(ReadOnlySpan<byte> bytes16) => MemoryMarshal.Read<UInt128>(bytes16);

    public static UInt128 FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        if (!address.TryWriteBytes(bytes, out _))
        {
            throw new ArgumentException($"cannot encode address {address}", nameof(address));
        }

        return FromBytes(bytes);
    }

    public static IPAddress ToIPAddress(UInt128 raw, byte ipVersion)
    {
        Span<byte> bytes = stackalloc byte[16];
        MemoryMarshal.Write(bytes, in raw);
        return ipVersion == 4 ? new IPAddress(bytes[..4]) : new IPAddress(bytes);
    }
}
