namespace OneWaySensor.Configuration;

/// <summary>
/// Every setting of the sensor. Bound from the config file's "Sensor"
/// section, then from the command line; <see cref="Validate"/> names the
/// first bad key.
/// </summary>
public sealed class SensorOptions
{
    public const string SectionName = "Sensor";

    /// <summary>Seconds a flow must send without receiving before one_way_flow raises.</summary>
    public int WindowSeconds { get; set; } = 60;

    /// <summary>How often the kernel's flow counters are read.</summary>
    public int PollIntervalMilliseconds { get; set; } = 1000;

    /// <summary>Flows the kernel tracks at once (LRU: the least recent go first).</summary>
    public int FlowMapEntries { get; set; } = 65536;

    /// <summary>
    /// The bpffs directory the kernel's flow map is pinned in, so a restarted
    /// sensor carries on with the flows and counts of the one before; empty
    /// keeps the map with the process.
    /// </summary>
    public string? FlowPinDirectory { get; set; } = DefaultFlowPinDirectory;

    public const string DefaultFlowPinDirectory = "/sys/fs/bpf/onewaysensor-flows";

    /// <summary>
    /// Flows the sensor tracks at most: those in the kernel's map and those it
    /// evicted that are not idle yet. Past it the longest silent evicted flows
    /// are forgotten first (counted), so memory is bounded by configuration,
    /// not by how many flows the host opens. 0 means twice FlowMapEntries.
    /// </summary>
    public int MaxTrackedFlows { get; set; }

    /// <summary>Kernel-to-user ring buffer size in bytes: a power of two, at least one page.</summary>
    public int RingBufferBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The kernel wakes the reader once this many bytes wait; the reader also polls on its own.</summary>
    public int RingBufferWakeupBytes { get; set; } = 64 * 1024;

    /// <summary>Seconds without traffic after which a flow is forgotten; 0 means twice the window, at least 120.</summary>
    public int IdleTimeoutSeconds { get; set; }

    /// <summary>A file that alerts are appended to as JSON lines, besides stdout.</summary>
    public string? AlertsFile { get; set; }

    /// <summary>Stop by itself after this many seconds; 0 runs until a signal.</summary>
    public int DurationSeconds { get; set; }

    /// <summary>
    /// Docker Engine API sockets to ask for container metadata and runtime
    /// events: Docker's and Podman's (its Docker-compatible service). Null
    /// means both defaults; an empty list turns the engines off. A socket
    /// that is absent is retried with backoff, never fatal.
    /// </summary>
    public string[]? ContainerEngineSockets { get; set; }

    /// <summary>How long an alert waits for its container's metadata when the cache does not have it yet.</summary>
    public int MetadataWaitMilliseconds { get; set; } = 2000;

    /// <summary>The control socket `onewaysensor investigate` asks (root only); empty turns it off.</summary>
    public string? ControlSocket { get; set; } = DefaultControlSocket;

    public const string DefaultControlSocket = "/run/onewaysensor/control.sock";

    /// <summary>Also emit process exec and exit events of host processes, not only of containers'.</summary>
    public bool HostProcessEvents { get; set; }

    /// <summary>
    /// Where flows come from: "auto" (eBPF where it can run, else the pcap
    /// fallback, saying why), "ebpf" (fail when it cannot) or "pcap".
    /// </summary>
    public string Source { get; set; } = "auto";

    /// <summary>The interface the pcap source captures on ("any": every interface, on Linux).</summary>
    public string CaptureInterface { get; set; } = "any";

    /// <summary>The sidecar export of every record as MessagePack on a Unix socket.</summary>
    public ExportOptions Export { get; set; } = new();

    /// <summary>"ADDRESS:PORT" of the Prometheus metrics endpoint, on loopback only; null turns it off.</summary>
    public string? Metrics { get; set; }

    /// <summary>The SQLite file that keeps alert history and baselines across restarts; empty keeps them in memory only.</summary>
    public string? StatePath { get; set; } = DefaultStatePath;

    public const string DefaultStatePath = "/var/lib/onewaysensor/state.db";

    /// <summary>A file every record is appended to as JSON lines, besides stdout; rotated by size.</summary>
    public string? OutputFile { get; set; }

    /// <summary>The output and alerts files are rotated when the next line would take them past this size.</summary>
    public long FileMaxBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Rotated files kept (FILE.1 the newest); older ones are deleted.</summary>
    public int FileKeep { get; set; } = 5;

    /// <summary>Seconds between flow summaries per container and remote endpoint; 0 turns them off.</summary>
    public int FlowSummarySeconds { get; set; } = 60;

    /// <summary>Seconds between health records on the output stream; 0 turns them off.</summary>
    public int HealthSeconds { get; set; } = 60;

    public bool Persisted => !string.IsNullOrEmpty(StatePath);

    public static readonly string[] DefaultContainerEngineSockets = ["/var/run/docker.sock", "/run/podman/podman.sock"];

    public IReadOnlyList<string> EffectiveContainerEngineSockets => ContainerEngineSockets ?? DefaultContainerEngineSockets;

    public int EffectiveMaxTrackedFlows => MaxTrackedFlows > 0 ? MaxTrackedFlows : (int)Math.Min(2L * FlowMapEntries, int.MaxValue);

    public long EffectiveIdleTimeoutSeconds =>
        IdleTimeoutSeconds > 0 ? IdleTimeoutSeconds : Math.Max(2L * WindowSeconds, 120);

    /// <summary>The first invalid setting as "Sensor:Key: problem", or null when all are valid.</summary>
    public string? Validate()
    {
        return Range(nameof(WindowSeconds), WindowSeconds, 1, 86_400)
            ?? Range(nameof(PollIntervalMilliseconds), PollIntervalMilliseconds, 50, 60_000)
            ?? Range(nameof(FlowMapEntries), FlowMapEntries, 1024, 16 * 1024 * 1024)
            ?? (FlowPinDirectory is { Length: > 0 } pin && !Path.IsPathRooted(pin) ? Problem(nameof(FlowPinDirectory), $"must be an absolute path on bpffs, got '{pin}'") : null)
            ?? (MaxTrackedFlows == 0 ? null : Range(nameof(MaxTrackedFlows), MaxTrackedFlows, FlowMapEntries, 64 * 1024 * 1024))
            ?? Range(nameof(RingBufferBytes), RingBufferBytes, 4096, 1 << 30)
            ?? (int.IsPow2(RingBufferBytes) ? null : Problem(nameof(RingBufferBytes), $"must be a power of two, got {RingBufferBytes}"))
            ?? Range(nameof(RingBufferWakeupBytes), RingBufferWakeupBytes, 1, RingBufferBytes)
            ?? Range(nameof(IdleTimeoutSeconds), IdleTimeoutSeconds, 0, 86_400 * 7)
            ?? (IdleTimeoutSeconds > 0 && IdleTimeoutSeconds <= WindowSeconds
                ? Problem(nameof(IdleTimeoutSeconds), $"must be longer than WindowSeconds ({WindowSeconds}), or a one-way flow is forgotten before its window ends; got {IdleTimeoutSeconds}")
                : null)
            ?? Range(nameof(DurationSeconds), DurationSeconds, 0, int.MaxValue)
            ?? (AlertsFile is { Length: 0 } ? Problem(nameof(AlertsFile), "must not be empty") : null)
            ?? Range(nameof(MetadataWaitMilliseconds), MetadataWaitMilliseconds, 0, 60_000)
            ?? ValidateSockets()
            ?? (string.IsNullOrEmpty(ControlSocket) || UnixSocketPath.Problem(ControlSocket) is not string controlProblem
                ? null
                : Problem(nameof(ControlSocket), $"{controlProblem}, or empty to turn it off"))
            ?? (Source is "auto" or "ebpf" or "pcap" ? null : Problem(nameof(Source), $"must be auto, ebpf or pcap, got '{Source}'"))
            ?? (string.IsNullOrWhiteSpace(CaptureInterface) ? Problem(nameof(CaptureInterface), "must name an interface, e.g. any or eth0") : null)
            ?? Export.Validate(Range, Problem)
            ?? (Metrics is not null && MetricsEndpoint.Parse(Metrics) is { Error: string metricsProblem } ? Problem(nameof(Metrics), metricsProblem) : null)
            ?? (StatePath is not null && StatePath.Contains('\0', StringComparison.Ordinal) ? Problem(nameof(StatePath), "must be a file path") : null)
            ?? (OutputFile is { Length: 0 } ? Problem(nameof(OutputFile), "must not be empty") : null)
            ?? Range(nameof(FileMaxBytes), FileMaxBytes, 4096, 1L << 40)
            ?? Range(nameof(FileKeep), FileKeep, 1, 1000)
            ?? Range(nameof(FlowSummarySeconds), FlowSummarySeconds, 0, 86_400)
            ?? Range(nameof(HealthSeconds), HealthSeconds, 0, 86_400);
    }

    private string? ValidateSockets()
    {
        foreach (string socket in ContainerEngineSockets ?? [])
        {
            if (UnixSocketPath.Problem(socket) is string problem)
            {
                return Problem(nameof(ContainerEngineSockets), $"each {problem}");
            }
        }

        return null;
    }

    private static string? Range(string key, long value, long low, long high) =>
        value >= low && value <= high ? null : Problem(key, $"must be between {low} and {high}, got {value}");

    private static string Problem(string key, string problem) => $"{SectionName}:{key}: {problem}";
}
