using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OneWaySensor.Processes;

namespace OneWaySensor.Linux.Kernel;

// C# mirrors of bpf/onewaysensor.h. KernelLayoutTests checks every size
// and offset against the BTF of the compiled BPF object.

/// <summary>enum ows_record_kind.</summary>
internal enum RecordKind : ushort
{
    FlowOpen = 1,
    ProcessExec = 2,
    ProcessExit = 3,
}

/// <summary>enum ows_counter: indexes of the kernel's per-CPU counters.</summary>
internal enum KernelCounter
{
    FlowsCreated = 0,
    FlowUpdateFailed = 1,
    RingBufferFull = 2,
    Unparsed = 3,
    Fragments = 4,
    Count = 5,
}

/// <summary>16 raw bytes of an IP address, as the kernel stores them.</summary>
[InlineArray(16)]
internal struct AddressBytes
{
    private byte first;
}

/// <summary>struct ows_record_header.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RecordHeader
{
    public const int ByteSize = 16;
    public const ushort CurrentVersion = 1;

    public ushort Kind;
    public ushort Version;
    public uint Size;
    public ulong TimestampNs;
}

/// <summary>struct ows_flow_key.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowKeyRecord
{
    public const int ByteSize = 48;

    public ulong CgroupId;
    public byte IpVersion;
    public byte Protocol;
    public ushort LocalPort;
    public ushort RemotePort;
    public ushort Pad;
    public AddressBytes LocalAddr;
    public AddressBytes RemoteAddr;
}

/// <summary>struct ows_flow_counters.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowCountersRecord
{
    public const int ByteSize = 24;

    public ulong Packets;
    public ulong IpBytes;
    public ulong PayloadBytes;
}

/// <summary>struct ows_flow_stats.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowStatsRecord
{
    public const int ByteSize = 80;

    public ulong FirstSeenNs;
    public ulong LastSeenNs;
    public FlowCountersRecord Tx;
    public FlowCountersRecord Rx;
    public uint TxNextSeq;
    public uint RxNextSeq;
    public byte TxTcpFlags;
    public byte RxTcpFlags;
    public byte Initiator;
    public byte SeqKnown;
    public uint Pad;
}

/// <summary>struct ows_process_ref.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProcessRefRecord
{
    public const int ByteSize = 24;

    public uint Tgid;
    public uint Pid;
    public CommName Comm;
}

/// <summary>struct ows_flow_open_record.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlowOpenRecord
{
    public const int ByteSize = 112;

    public RecordHeader Header;
    public FlowKeyRecord Key;
    public byte Initiator;
    public byte TcpFlags;
    public byte OwnerKnown;
    public byte Pad;
    public uint Packets;
    public ulong IpBytes;
    public ulong PayloadBytes;
    public ProcessRefRecord Owner;
}

/// <summary>OWS_FILENAME_LEN bytes of a NUL-terminated path.</summary>
[InlineArray(256)]
internal struct FileNameBytes
{
    private byte first;
}

/// <summary>struct ows_process_exec_record.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProcessExecRecord
{
    public const int ByteSize = 304;

    public RecordHeader Header;
    public ulong CgroupId;
    public uint Tgid;
    public uint Ppid;
    public CommName Comm;
    public FileNameBytes FileName;
}

/// <summary>struct ows_process_exit_record.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProcessExitRecord
{
    public const int ByteSize = 48;

    public RecordHeader Header;
    public ulong CgroupId;
    public uint Tgid;
    public int ExitCode;
    public CommName Comm;
}

/// <summary>struct ows_isolation: the value of the deny set (bpf/isolation.bpf.h), keyed by cgroup id.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IsolationRecord
{
    public const int ByteSize = 32;

    /// <summary>OWS_ISOLATION_MAX_ENTRIES: how many cgroups the set holds.</summary>
    public const int MaxEntries = 1024;

    /// <summary>OWS_ISOLATION_MAX_LEVEL: cgroups at this depth or deeper cannot be isolated.</summary>
    public const int MaxLevel = 32;

    public ulong SinceNs;
    public ulong TxDropped;
    public ulong RxDropped;
    public uint Level;
    public uint Pad;
}
