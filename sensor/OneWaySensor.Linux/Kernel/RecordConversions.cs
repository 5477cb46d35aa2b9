using System.Runtime.InteropServices;
using OneWaySensor.Flows;
using OneWaySensor.Processes;

namespace OneWaySensor.Linux.Kernel;

/// <summary>Turns kernel records into the core flow model; pure value copies.</summary>
internal static class RecordConversions
{
    public static FlowKey ToFlowKey(in FlowKeyRecord key) => new(
        key.CgroupId,
        key.IpVersion,
        (FlowProtocol)key.Protocol,
        FlowAddress.FromBytes(key.LocalAddr),
        key.LocalPort,
        FlowAddress.FromBytes(key.RemoteAddr),
        key.RemotePort);

    /// <summary>The kernel's form of a key, to delete its entry from the flow map.</summary>
    public static FlowKeyRecord ToRecord(in FlowKey key)
    {
        var record = new FlowKeyRecord
        {
            CgroupId = key.CgroupId,
            IpVersion = key.IpVersion,
            Protocol = (byte)key.Protocol,
            LocalPort = key.LocalPort,
            RemotePort = key.RemotePort,
        };
        UInt128 local = key.LocalAddress;
        UInt128 remote = key.RemoteAddress;
        MemoryMarshal.Write(record.LocalAddr, in local);
        MemoryMarshal.Write(record.RemoteAddr, in remote);
        return record;
    }

    public static FlowCounters ToCounters(in FlowCountersRecord counters) =>
        new(counters.Packets, counters.IpBytes, counters.PayloadBytes);

    /// <summary>ows_direction: 0 is the local socket sending (tx).</summary>
    public static FlowInitiator ToInitiator(byte direction) =>
        direction == 0 ? FlowInitiator.Local : FlowInitiator.Remote;

    public static FlowSample ToSample(in FlowKeyRecord key, in FlowStatsRecord stats, in MonotonicClock clock) => new(
        ToFlowKey(key),
        ToCounters(stats.Tx),
        ToCounters(stats.Rx),
        stats.TxTcpFlags,
        stats.RxTcpFlags,
        ToInitiator(stats.Initiator),
        clock.ToUnixNs(stats.FirstSeenNs),
        clock.ToUnixNs(stats.LastSeenNs));

    public static FlowOpening ToOpening(in FlowOpenRecord record, in MonotonicClock clock)
    {
        // the opening packet's own direction: the initiator unless it was a SYN-ACK
        bool outbound = (record.Initiator == 0) ^ IsSynAck(record);
        return new FlowOpening(
            ToFlowKey(record.Key),
            ToInitiator(record.Initiator),
            outbound,
            new FlowCounters(record.Packets, record.IpBytes, record.PayloadBytes),
            record.TcpFlags,
            clock.ToUnixNs(record.Header.TimestampNs),
            record.OwnerKnown != 0 ? ToProcessRef(record.Owner) : default);
    }

    public static ProcessRef ToProcessRef(in ProcessRefRecord owner) =>
        new() { Tgid = owner.Tgid, Pid = owner.Pid, Comm = owner.Comm };

    public static ProcessEvent ToExecEvent(in ProcessExecRecord record, in MonotonicClock clock) => new(
        UnixTime.ToDateTimeOffset(clock.ToUnixNs(record.Header.TimestampNs)),
        ProcessEventKind.Exec,
        record.CgroupId,
        record.Tgid,
        record.Ppid,
        record.Comm.ToString(),
        NulTerminated(record.FileName),
        null);

    public static ProcessEvent ToExitEvent(in ProcessExitRecord record, in MonotonicClock clock) => new(
        UnixTime.ToDateTimeOffset(clock.ToUnixNs(record.Header.TimestampNs)),
        ProcessEventKind.Exit,
        record.CgroupId,
        record.Tgid,
        null,
        record.Comm.ToString(),
        null,
        record.ExitCode);

    /// <summary>The text before the first NUL (the kernel leaves the bytes after it undefined).</summary>
    private static string NulTerminated(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    private static bool IsSynAck(in FlowOpenRecord record) =>
        record.Key.Protocol == (byte)FlowProtocol.Tcp && (record.TcpFlags & 0x12) == 0x12;
}
