using System.Net;
using System.Runtime.InteropServices;

namespace OneWaySensor.Flows;

/// <summary>
/// One flow as one cgroup sees it: local is the socket inside the cgroup.
/// Addresses hold the 16 raw bytes of the IP address (IPv4 in the first 4),
/// kept as a <see cref="UInt128"/> so the key is an unmanaged value with no
/// allocation; <see cref="FlowAddress"/> converts for output.
/// <para>
/// Auto layout: the runtime packs the fields by size into 48 bytes, where
/// declaration order padded each address to its 16-byte alignment (80
/// bytes). Every look-up compares the key held in <see cref="FlowState"/>,
/// so this is memory each flow-open record and each poll reading touches.
/// Nothing reads a key's bytes as such (the kernel's form is
/// <c>FlowKeyRecord</c>).
/// </para>
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct FlowKey(
    ulong CgroupId,
    byte IpVersion,
    FlowProtocol Protocol,
    UInt128 LocalAddress,
    ushort LocalPort,
    UInt128 RemoteAddress,
    ushort RemotePort)
{
    // a per-process secret, as HashCode's: remote peers choose addresses and ports,
    // and must not be able to aim flows at one bucket
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64() | 1;

    /// <summary>
    /// A seeded multiply-rotate over the key's six 64-bit words, small enough
    /// to inline into the table's look-up. The generated hash combined
    /// seven field hashes, the two addresses each through a
    /// <see cref="HashCode"/> pass of its own, and cost about a tenth of a
    /// flow-open record's handling (bench/drain).
    /// </summary>
    public override int GetHashCode()
    {
        ulong hash = Mix(Seed, CgroupId);
        hash = Mix(hash, ((ulong)LocalPort << 32) | ((ulong)RemotePort << 16) | ((ulong)IpVersion << 8) | (byte)Protocol);
        hash = Mix(hash, (ulong)LocalAddress);
        hash = Mix(hash, (ulong)(LocalAddress >> 64));
        hash = Mix(hash, (ulong)RemoteAddress);
        hash = Mix(hash, (ulong)(RemoteAddress >> 64));

        // a dictionary reduces the hash modulo a prime: fold the well-mixed high half in
        return (int)(hash ^ (hash >> 32));
    }

    private static ulong Mix(ulong hash, ulong word) =>
        System.Numerics.BitOperations.RotateLeft((hash ^ word) * 0x9E3779B97F4A7C15ul, 31);
}

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
