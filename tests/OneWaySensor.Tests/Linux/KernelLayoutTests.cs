using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OneWaySensor.Linux.Interop;
using OneWaySensor.Configuration;
using OneWaySensor.Linux.Kernel;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Linux;

/// <summary>
/// The C# mirrors of bpf/onewaysensor.h against the BTF of the compiled BPF
/// object (embedded in libonewaysensor by its skeleton): every size, every
/// member offset and every enumerator, so a reordered field cannot pass.
/// Opening the object needs no privilege.
/// </summary>
public sealed class KernelLayoutTests
{
    public static TheoryData<string, int> Sizes => new()
    {
        { "ows_record_header", Unsafe.SizeOf<RecordHeader>() },
        { "ows_flow_key", Unsafe.SizeOf<FlowKeyRecord>() },
        { "ows_flow_counters", Unsafe.SizeOf<FlowCountersRecord>() },
        { "ows_flow_stats", Unsafe.SizeOf<FlowStatsRecord>() },
        { "ows_flow_open_record", Unsafe.SizeOf<FlowOpenRecord>() },
        { "ows_process_ref", Unsafe.SizeOf<ProcessRefRecord>() },
        { "ows_process_exec_record", Unsafe.SizeOf<ProcessExecRecord>() },
        { "ows_process_exit_record", Unsafe.SizeOf<ProcessExitRecord>() },
        { "ows_isolation", Unsafe.SizeOf<IsolationRecord>() },
    };

    public static TheoryData<string, string, int> Offsets()
    {
        var header = default(RecordHeader);
        var key = default(FlowKeyRecord);
        var counters = default(FlowCountersRecord);
        var stats = default(FlowStatsRecord);
        var open = default(FlowOpenRecord);
        var owner = default(ProcessRefRecord);
        var exec = default(ProcessExecRecord);
        var exit = default(ProcessExitRecord);
        var isolation = default(IsolationRecord);
        return new TheoryData<string, string, int>
        {
            { "ows_record_header", "kind", Offset(ref header, ref header.Kind) },
            { "ows_record_header", "version", Offset(ref header, ref header.Version) },
            { "ows_record_header", "size", Offset(ref header, ref header.Size) },
            { "ows_record_header", "timestamp_ns", Offset(ref header, ref header.TimestampNs) },
            { "ows_flow_key", "cgroup_id", Offset(ref key, ref key.CgroupId) },
            { "ows_flow_key", "ip_version", Offset(ref key, ref key.IpVersion) },
            { "ows_flow_key", "protocol", Offset(ref key, ref key.Protocol) },
            { "ows_flow_key", "local_port", Offset(ref key, ref key.LocalPort) },
            { "ows_flow_key", "remote_port", Offset(ref key, ref key.RemotePort) },
            { "ows_flow_key", "pad", Offset(ref key, ref key.Pad) },
            { "ows_flow_key", "local_addr", Offset(ref key, ref key.LocalAddr) },
            { "ows_flow_key", "remote_addr", Offset(ref key, ref key.RemoteAddr) },
            { "ows_flow_counters", "packets", Offset(ref counters, ref counters.Packets) },
            { "ows_flow_counters", "ip_bytes", Offset(ref counters, ref counters.IpBytes) },
            { "ows_flow_counters", "payload_bytes", Offset(ref counters, ref counters.PayloadBytes) },
            { "ows_flow_stats", "first_seen_ns", Offset(ref stats, ref stats.FirstSeenNs) },
            { "ows_flow_stats", "last_seen_ns", Offset(ref stats, ref stats.LastSeenNs) },
            { "ows_flow_stats", "tx", Offset(ref stats, ref stats.Tx) },
            { "ows_flow_stats", "rx", Offset(ref stats, ref stats.Rx) },
            { "ows_flow_stats", "tx_next_seq", Offset(ref stats, ref stats.TxNextSeq) },
            { "ows_flow_stats", "rx_next_seq", Offset(ref stats, ref stats.RxNextSeq) },
            { "ows_flow_stats", "tx_tcp_flags", Offset(ref stats, ref stats.TxTcpFlags) },
            { "ows_flow_stats", "rx_tcp_flags", Offset(ref stats, ref stats.RxTcpFlags) },
            { "ows_flow_stats", "initiator", Offset(ref stats, ref stats.Initiator) },
            { "ows_flow_stats", "seq_known", Offset(ref stats, ref stats.SeqKnown) },
            { "ows_flow_stats", "pad", Offset(ref stats, ref stats.Pad) },
            { "ows_flow_open_record", "header", Offset(ref open, ref open.Header) },
            { "ows_flow_open_record", "key", Offset(ref open, ref open.Key) },
            { "ows_flow_open_record", "initiator", Offset(ref open, ref open.Initiator) },
            { "ows_flow_open_record", "tcp_flags", Offset(ref open, ref open.TcpFlags) },
            { "ows_flow_open_record", "owner_known", Offset(ref open, ref open.OwnerKnown) },
            { "ows_flow_open_record", "pad", Offset(ref open, ref open.Pad) },
            { "ows_flow_open_record", "packets", Offset(ref open, ref open.Packets) },
            { "ows_flow_open_record", "ip_bytes", Offset(ref open, ref open.IpBytes) },
            { "ows_flow_open_record", "payload_bytes", Offset(ref open, ref open.PayloadBytes) },
            { "ows_flow_open_record", "owner", Offset(ref open, ref open.Owner) },
            { "ows_process_ref", "tgid", Offset(ref owner, ref owner.Tgid) },
            { "ows_process_ref", "pid", Offset(ref owner, ref owner.Pid) },
            { "ows_process_ref", "comm", Offset(ref owner, ref owner.Comm) },
            { "ows_process_exec_record", "header", Offset(ref exec, ref exec.Header) },
            { "ows_process_exec_record", "cgroup_id", Offset(ref exec, ref exec.CgroupId) },
            { "ows_process_exec_record", "tgid", Offset(ref exec, ref exec.Tgid) },
            { "ows_process_exec_record", "ppid", Offset(ref exec, ref exec.Ppid) },
            { "ows_process_exec_record", "comm", Offset(ref exec, ref exec.Comm) },
            { "ows_process_exec_record", "filename", Offset(ref exec, ref exec.FileName) },
            { "ows_process_exit_record", "header", Offset(ref exit, ref exit.Header) },
            { "ows_process_exit_record", "cgroup_id", Offset(ref exit, ref exit.CgroupId) },
            { "ows_process_exit_record", "tgid", Offset(ref exit, ref exit.Tgid) },
            { "ows_process_exit_record", "exit_code", Offset(ref exit, ref exit.ExitCode) },
            { "ows_process_exit_record", "comm", Offset(ref exit, ref exit.Comm) },
            { "ows_isolation", "since_ns", Offset(ref isolation, ref isolation.SinceNs) },
            { "ows_isolation", "tx_dropped", Offset(ref isolation, ref isolation.TxDropped) },
            { "ows_isolation", "rx_dropped", Offset(ref isolation, ref isolation.RxDropped) },
            { "ows_isolation", "level", Offset(ref isolation, ref isolation.Level) },
            { "ows_isolation", "pad", Offset(ref isolation, ref isolation.Pad) },
        };
    }

    public static TheoryData<string, string, long> Enumerators => new()
    {
        { "ows_record_kind", "OWS_RECORD_FLOW_OPEN", (long)RecordKind.FlowOpen },
        { "ows_record_kind", "OWS_RECORD_PROCESS_EXEC", (long)RecordKind.ProcessExec },
        { "ows_record_kind", "OWS_RECORD_PROCESS_EXIT", (long)RecordKind.ProcessExit },
        { "ows_counter", "OWS_COUNTER_FLOWS_CREATED", (long)KernelCounter.FlowsCreated },
        { "ows_counter", "OWS_COUNTER_FLOW_UPDATE_FAILED", (long)KernelCounter.FlowUpdateFailed },
        { "ows_counter", "OWS_COUNTER_RINGBUF_FULL", (long)KernelCounter.RingBufferFull },
        { "ows_counter", "OWS_COUNTER_UNPARSED", (long)KernelCounter.Unparsed },
        { "ows_counter", "OWS_COUNTER_FRAGMENTS", (long)KernelCounter.Fragments },
        { "ows_counter", "OWS_COUNTER_MAX", (long)KernelCounter.Count },
        { "ows_direction", "OWS_DIR_TX", 0 },
        { "ows_direction", "OWS_DIR_RX", 1 },
        { "ows_isolation_limit", "OWS_ISOLATION_MAX_ENTRIES", IsolationRecord.MaxEntries },
        { "ows_isolation_limit", "OWS_ISOLATION_MAX_LEVEL", IsolationRecord.MaxLevel },
    };

    [SkippableTheory]
    [MemberData(nameof(Sizes))]
    public void Mirror_size_matches_btf(string structName, int mirrorSize)
    {
        using EbpfProgram program = OpenProgram();
        Assert.Equal(program.BtfStructSize(structName), mirrorSize);
    }

    [SkippableTheory]
    [MemberData(nameof(Offsets))]
    public void Mirror_member_offset_matches_btf(string structName, string member, int mirrorOffset)
    {
        using EbpfProgram program = OpenProgram();
        Assert.Equal(program.BtfMemberOffset(structName, member), mirrorOffset);
    }

    [SkippableTheory]
    [MemberData(nameof(Enumerators))]
    public void Mirror_enumerator_matches_btf(string enumName, string enumerator, long mirrorValue)
    {
        using EbpfProgram program = OpenProgram();
        Assert.Equal(program.BtfEnumValue(enumName, enumerator), mirrorValue);
    }

    [SkippableTheory]
    [InlineData("ows_options", null)]
    [InlineData("ows_options", "flow_map_entries")]
    [InlineData("ows_options", "ringbuf_bytes")]
    [InlineData("ows_options", "ringbuf_wakeup_bytes")]
    [InlineData("ows_ring", null)]
    [InlineData("ows_ring", "consumer_pos")]
    [InlineData("ows_ring", "producer_pos")]
    [InlineData("ows_ring", "data")]
    [InlineData("ows_ring", "mask")]
    public void Shim_struct_mirrors_match_the_c_compiler(string structName, string? member)
    {
        Requirements.NativeLibrary();
        int mirror = (structName, member) switch
        {
            ("ows_options", null) => Marshal.SizeOf<NativeOptions>(),
            ("ows_options", "flow_map_entries") => (int)Marshal.OffsetOf<NativeOptions>(nameof(NativeOptions.FlowMapEntries)),
            ("ows_options", "ringbuf_bytes") => (int)Marshal.OffsetOf<NativeOptions>(nameof(NativeOptions.RingBufferBytes)),
            ("ows_options", "ringbuf_wakeup_bytes") => (int)Marshal.OffsetOf<NativeOptions>(nameof(NativeOptions.RingBufferWakeupBytes)),
            ("ows_ring", null) => Marshal.SizeOf<NativeRing>(),
            ("ows_ring", "consumer_pos") => (int)Marshal.OffsetOf<NativeRing>(nameof(NativeRing.ConsumerPosition)),
            ("ows_ring", "producer_pos") => (int)Marshal.OffsetOf<NativeRing>(nameof(NativeRing.ProducerPosition)),
            ("ows_ring", "data") => (int)Marshal.OffsetOf<NativeRing>(nameof(NativeRing.Data)),
            ("ows_ring", "mask") => (int)Marshal.OffsetOf<NativeRing>(nameof(NativeRing.Mask)),
            _ => -1,
        };
        Assert.Equal(EbpfProgram.NativeLayout(structName, member), mirror);
    }

    [SkippableFact]
    public void Every_member_of_every_shared_struct_is_checked()
    {
        // a member added to the header without a mirror check would go unseen
        using EbpfProgram program = OpenProgram();
        foreach (IGrouping<string, object[]> structMembers in Offsets().GroupBy(row => (string)row[0]))
        {
            Assert.Equal(program.BtfMemberCount(structMembers.Key), structMembers.Count());
        }
    }

    private static EbpfProgram OpenProgram()
    {
        Requirements.NativeLibrary();
        return EbpfProgram.Open(new SensorOptions());
    }

    private static int Offset<TStruct, TField>(ref TStruct owner, ref TField field) =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<TStruct, byte>(ref owner), ref Unsafe.As<TField, byte>(ref field));
}
