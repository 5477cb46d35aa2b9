using System.Net;
using System.Runtime.InteropServices;
using OneWaySensor.Flows;

namespace OneWaySensor.Linux.Kernel;

/// <summary>
/// Writes kernel records exactly as the BPF program lays them out. Tests,
/// benchmarks and fuzzers build their inputs with it, so they all feed the
/// reader the same bytes the kernel would.
/// </summary>
internal static class RecordWriter
{
    /// <summary>A flow key for an IP pair, addresses as <see cref="IPAddress"/>.</summary>
    public static FlowKeyRecord Key(ulong cgroupId, FlowProtocol protocol, IPAddress local, ushort localPort, IPAddress remote, ushort remotePort)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        var key = new FlowKeyRecord
        {
            CgroupId = cgroupId,
            IpVersion = (byte)(local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 6 : 4),
            Protocol = (byte)protocol,
            LocalPort = localPort,
            RemotePort = remotePort,
        };
        local.TryWriteBytes(key.LocalAddr, out _);
        remote.TryWriteBytes(key.RemoteAddr, out _);
        return key;
    }

    /// <summary>A flow-open record with a correct header; returns the bytes written.</summary>
    public static int FlowOpen(Span<byte> destination, in FlowKeyRecord key, ulong timestampNs, byte initiator = 0, ulong ipBytes = 128, ulong payloadBytes = 100, byte tcpFlags = 0, uint ownerTgid = 0, string ownerComm = "", uint packets = 1)
    {
        var record = new FlowOpenRecord
        {
            Header = Header(RecordKind.FlowOpen, FlowOpenRecord.ByteSize, timestampNs),
            Key = key,
            Initiator = initiator,
            TcpFlags = tcpFlags,
            Packets = packets,
            IpBytes = ipBytes,
            PayloadBytes = payloadBytes,
            OwnerKnown = (byte)(ownerTgid != 0 ? 1 : 0),
            Owner = new ProcessRefRecord { Tgid = ownerTgid, Pid = ownerTgid, Comm = Processes.CommName.From(ownerComm) },
        };
        MemoryMarshal.Write(destination, in record);
        return FlowOpenRecord.ByteSize;
    }

    /// <summary>A process-exec record as the tracepoint program writes it.</summary>
    public static int ProcessExec(Span<byte> destination, ulong timestampNs, ulong cgroupId, uint tgid, uint ppid, string comm, string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var record = new ProcessExecRecord
        {
            Header = Header(RecordKind.ProcessExec, ProcessExecRecord.ByteSize, timestampNs),
            CgroupId = cgroupId,
            Tgid = tgid,
            Ppid = ppid,
            Comm = Processes.CommName.From(comm),
        };
        System.Text.Unicode.Utf8.FromUtf16(fileName, ((Span<byte>)record.FileName)[..255], out _, out _); // NUL-terminated, whole characters
        MemoryMarshal.Write(destination, in record);
        return ProcessExecRecord.ByteSize;
    }

    /// <summary>A process-exit record as the tracepoint program writes it.</summary>
    public static int ProcessExit(Span<byte> destination, ulong timestampNs, ulong cgroupId, uint tgid, int exitCode, string comm)
    {
        var record = new ProcessExitRecord
        {
            Header = Header(RecordKind.ProcessExit, ProcessExitRecord.ByteSize, timestampNs),
            CgroupId = cgroupId,
            Tgid = tgid,
            ExitCode = exitCode,
            Comm = Processes.CommName.From(comm),
        };
        MemoryMarshal.Write(destination, in record);
        return ProcessExitRecord.ByteSize;
    }

    /// <summary>The header every record of this version starts with.</summary>
    private static RecordHeader Header(RecordKind kind, uint size, ulong timestampNs) =>
        new() { Kind = (ushort)kind, Version = RecordHeader.CurrentVersion, Size = size, TimestampNs = timestampNs };

    /// <summary>A record of any kind, version and declared size, with its body zeroed (for malformed inputs).</summary>
    public static int Raw(Span<byte> destination, ushort kind, ushort version, uint declaredSize, int actualSize)
    {
        destination[..actualSize].Clear();
        var header = new RecordHeader { Kind = kind, Version = version, Size = declaredSize, TimestampNs = 1 };
        if (actualSize >= RecordHeader.ByteSize)
        {
            MemoryMarshal.Write(destination, in header);
        }

        return actualSize;
    }

    /// <summary>A buffer of <paramref name="count"/> back-to-back flow-open records over distinct ports.</summary>
    public static byte[] FlowOpenBatch(int count, ulong cgroupId = 42)
    {
        var buffer = new byte[count * FlowOpenRecord.ByteSize];
        for (int i = 0; i < count; i++)
        {
            FlowKeyRecord key = Key(cgroupId, FlowProtocol.Udp, IPAddress.Loopback, (ushort)(1024 + (i % 60000)), IPAddress.Loopback, 53);
            FlowOpen(buffer.AsSpan(i * FlowOpenRecord.ByteSize), key, (ulong)(1_000_000 + i));
        }

        return buffer;
    }
}
