using System.Diagnostics;
using OneWaySensor.Cli.Export;
using OneWaySensor.Cli.Output;
using OneWaySensor.Containers;
using OneWaySensor.Detection;
using OneWaySensor.Detection.Baseline;
using OneWaySensor.Flows;
using OneWaySensor.Linux;

namespace OneWaySensor.Cli.Health;

/// <summary>
/// Takes the sensor's status on the source's thread, which owns the flow
/// table and the detections, and publishes it as an immutable snapshot for
/// the metrics endpoint, the control socket and the health records.
/// </summary>
internal sealed class StatusCollector(
    Func<IEnumerable<MetricFamily>> sourceMetrics,
    FlowTable table,
    DetectionEngine engine,
    OutputPipeline output,
    ContainerEngines containers,
    ExportServer? export,
    BaselinePersistence? baselineSaves)
{
    private readonly long startedTicks = Stopwatch.GetTimestamp();
    private readonly long[] lastWritten = new long[RecordKinds.All.Length];
    private long lastTicks = Stopwatch.GetTimestamp();
    private SensorStatus? latest;

    /// <summary>The last snapshot taken; null before the first poll.</summary>
    public SensorStatus? Latest => Volatile.Read(ref latest);

    /// <summary>On the source's thread: takes a new snapshot.</summary>
    public SensorStatus Collect()
    {
        long now = Stopwatch.GetTimestamp();
        double seconds = Math.Max(Stopwatch.GetElapsedTime(lastTicks, now).TotalSeconds, 1e-3);
        lastTicks = now;
        var (malformed, reconnects, hits, misses) = containers.Totals();
        SuppressionCounters suppressed = engine.Suppressions;

        var records = new List<MetricSample>();
        var rates = new List<MetricSample>();
        foreach (RecordKind kind in RecordKinds.All)
        {
            long written = output.Written(kind);
            records.Add(new(written, "kind", RecordKinds.Label(kind)));
            rates.Add(new(Math.Round((written - lastWritten[(int)kind]) / seconds, 3), "kind", RecordKinds.Label(kind)));
            lastWritten[(int)kind] = written;
        }

        List<MetricFamily> metrics =
        [
            Gauge("uptime_seconds", "Seconds since the sensor started.", Math.Round(Stopwatch.GetElapsedTime(startedTicks, now).TotalSeconds, 3)),
            new(SensorStatus.Prefix + "records_total", "counter", "Records written to the output stream, by kind.", records),
            new(SensorStatus.Prefix + "records_per_second", "gauge", "Records written per second since the last snapshot, by kind.", rates),
            .. sourceMetrics(),
            Gauge("flows_tracked", "Flows the sensor tracks.", table.Count),
            Gauge("flows_tracked_limit", "Flows the sensor tracks at most (Sensor:MaxTrackedFlows).", table.MaxFlows),
            Counter("flows_forgotten_at_limit_total", "Flows forgotten before their idle timeout, the table being at its limit: the longest silent of those the source no longer held.", table.Counters.ForgottenAtLimit),
            new(SensorStatus.Prefix + "alerts_total", "counter", "Alerts raised, by rule.", [.. engine.AlertsByRule.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => new MetricSample(pair.Value, "rule", pair.Key))]),
            Labeled("alerts_suppressed_total", "counter", "Alerts not raised, by reason.", "reason",
                ("allowlisted", Sum(suppressed.Allowlisted)), ("maintenance", Sum(suppressed.InMaintenance)), ("repeat", Sum(suppressed.Repeats))),
            Counter("alerts_downgraded_total", "Alerts raised at a lower priority (engine outage).", Sum(suppressed.Downgraded)),
            Counter("output_queue_dropped_total", "Records dropped because the output queue was full.", output.Dropped),
            Counter("output_failures_total", "Records no writer could serialize, and sink writes that threw.", output.Failed),
            new(SensorStatus.Prefix + "sink_records_lost_total", "counter", "Records a sink could not deliver, by sink (for export: summed over its clients).", [.. output.Sinks.Select(sink => new MetricSample(sink.Lost, "sink", sink.Name))]),
            Gauge("export_clients", "Clients connected to the export socket.", export?.Clients ?? 0),
            Counter("export_clients_cut_loose_total", "Export clients disconnected for stalling.", export?.ClientsCutLoose ?? 0),
            Counter("export_clients_refused_total", "Export connections refused at the client limit.", export?.ClientsRefused ?? 0),
            Counter("metadata_cache_hits_total", "Container metadata answered from the cache.", hits),
            Counter("metadata_cache_misses_total", "Container metadata the cache had to ask an engine for.", misses),
            Counter("engine_answers_malformed_total", "Container engine answers that could not be read.", malformed),
            Counter("engine_reconnects_total", "Reconnections to container engines.", reconnects),
            new(SensorStatus.Prefix + "engine_connected", "gauge", "1 while the container engine at the socket answers and its containers are listed, else 0.",
                [.. containers.Connections().Select(engine => new MetricSample(engine.Connected ? 1 : 0, "socket", engine.Socket))]),
            Counter("baseline_save_failures_total", "Failed saves of the baselines to the state file.", baselineSaves?.SaveFailures ?? 0),
            .. Runtime(),
        ];
        var status = new SensorStatus(DateTimeOffset.UtcNow, metrics);
        Volatile.Write(ref latest, status);
        return status;
    }

    /// <summary>The .NET runtime's memory: what the managed heap holds, what it allocates, how often it collects (RSS alone does not say which).</summary>
    private static IEnumerable<MetricFamily> Runtime()
    {
        GCMemoryInfo gc = GC.GetGCMemoryInfo();
        return
        [
            Gauge("gc_heap_bytes", "Bytes of the managed heap at the last collection, live objects and fragmentation.", gc.HeapSizeBytes),
            Gauge("gc_committed_bytes", "Bytes the garbage collector has committed.", gc.TotalCommittedBytes),
            Counter("gc_allocated_bytes_total", "Bytes allocated on the managed heap since start.", GC.GetTotalAllocatedBytes()),
            Labeled("gc_collections_total", "counter", "Garbage collections since start, by generation.", "generation",
                ("0", GC.CollectionCount(0)), ("1", GC.CollectionCount(1)), ("2", GC.CollectionCount(2))),
        ];
    }

    /// <summary>The eBPF source's figures: kernel losses, the flow map's occupancy and evictions.</summary>
    public static IEnumerable<MetricFamily> Ebpf(EbpfFlowSource source, int flowMapCapacity)
    {
        EbpfSourceHealth health = source.Health();
        return
        [
            Labeled("kernel_records_lost_total", "counter", "Kernel data lost, by reason: ring buffer full, flow map full, flows evicted or restarted, records skipped, ring corrupt.", "reason",
                ("ring_buffer_full", health.RingBufferFull), ("flow_map_full", health.FlowUpdateFailed), ("flows_evicted", health.FlowsEvicted),
                ("flows_restarted", health.FlowsRestarted), ("records_skipped", health.RecordsSkipped), ("ring_corrupt", health.RingCorrupt)),
            Counter("record_handler_failures_total", "Kernel records whose handler failed.", health.HandlerFailed),
            Labeled("packets_unattributed_total", "counter", "Packets the kernel program could not attribute to a flow.", "reason",
                ("unparsed", health.UnparsedPackets), ("fragment", health.Fragments)),
            Gauge("flow_map_entries", "Flows in the kernel's flow map at the last poll.", health.MapEntries),
            Gauge("poll_seconds", "How long the last poll took: reading the flow map, the table, the detections.", Math.Round(health.LastPollSeconds, 6)),
            Gauge("poll_seconds_max", "The longest poll since the sensor started.", Math.Round(health.MaxPollSeconds, 6)),
            Counter("polls_total", "Polls of the flow map since start (one each poll interval, fewer when polls take longer).", health.Polls),
            Gauge("flow_map_capacity", "Entries the kernel's flow map holds (least recently used go first).", flowMapCapacity),
            Counter("flow_map_evictions_total", "Flows the kernel evicted from a full map before the sensor read them out.", health.FlowsEvicted),
            Counter("flows_created_total", "Flows the kernel program created.", health.FlowsCreated),
        ];
    }

    /// <summary>The pcap source's figures: packets read, skipped by reason, dropped by libpcap.</summary>
    public static IEnumerable<MetricFamily> Pcap(OneWaySensor.Pcap.PcapLiveSource source)
    {
        OneWaySensor.Pcap.CaptureCounters counts = source.Counters;
        return
        [
            Counter("capture_packets_total", "Packets the capture delivered.", counts.Packets),
            Labeled("capture_packets_skipped_total", "counter", "Captured packets not accounted to a flow, by reason.", "reason",
                ("not_ip", counts.NotIp), ("truncated", counts.Truncated), ("malformed", counts.Malformed), ("unknown_link_type", counts.UnknownLinkType)),
            Counter("capture_packets_dropped_total", "Packets libpcap dropped before the sensor read them.", source.Dropped),
        ];
    }

    private static ulong Sum(IReadOnlyDictionary<string, ulong> byRule) => byRule.Values.Aggregate(0UL, (sum, value) => sum + value);

    private static MetricFamily Counter(string name, string help, double value) => new(SensorStatus.Prefix + name, "counter", help, [new(value)]);

    private static MetricFamily Gauge(string name, string help, double value) => new(SensorStatus.Prefix + name, "gauge", help, [new(value)]);

    private static MetricFamily Labeled(string name, string type, string help, string label, params (string Value, double Count)[] samples) =>
        new(SensorStatus.Prefix + name, type, help, [.. samples.Select(sample => new MetricSample(sample.Count, label, sample.Value))]);
}
