using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OneWaySensor.Alerts;
using OneWaySensor.Cli.Output;
using OneWaySensor.Configuration;
using OneWaySensor.Containers;
using OneWaySensor.Detection;
using OneWaySensor.Detection.Baseline;
using OneWaySensor.Flows;
using OneWaySensor.Linux;
using OneWaySensor.Linux.Kernel;
using OneWaySensor.Linux.Cgroups;
using OneWaySensor.Processes;

namespace OneWaySensor.Cli;

/// <summary>
/// Wires the flow source (eBPF, or the pcap fallback where eBPF cannot run),
/// the flow table, the detections, the container engines and the output
/// together. Loading and attaching happen in
/// <see cref="StartAsync"/>, so a failure stops start-up with one line;
/// stopping detaches everything and writes what is queued.
/// </summary>
internal sealed partial class SensorService(
    SensorOptions options,
    DetectionOptions detection,
    IHostApplicationLifetime lifetime,
    ILogger<SensorService> logger) : IHostedService, IAsyncDisposable, Control.IControlRequests
{
    private static readonly TimeSpan ProcessRetention = TimeSpan.FromMinutes(10);

    // sized for the kernel's map from the start: growing under a burst of new flows
    // copies the whole table while the ring fills (bench/drain measured the loss);
    // the states' pages are touched only as flows arrive
    private readonly FlowTable table = new(expectedFlows: options.FlowMapEntries, maxFlows: options.EffectiveMaxTrackedFlows);
    private readonly ProcessDirectory processes = new(ProcessRetention);
    private CgroupDirectory? cgroups;
    private WorkloadDirectory? workloads;
    private ContainerEngines? engines;
    private OutputPipeline? output;
    private Isolation.AutoIsolator? autoIsolator;
    private Control.ControlServer? control;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(Func<long, string> Build, TaskCompletionSource<string> Answer)> questions = new();
    private Top.AlertTally? alertTally;
    private FlowSummarizer? summarizer;
    private Health.StatusCollector? status;
    private Health.MetricsServer? metrics;
    private Export.ExportServer? export;
    private long nextStatusUnixNs;
    private long nextHealthUnixNs;
    private long nextSummaryUnixNs;
    private State.SqliteBaselineStore? baselineStore;
    private BaselinePersistence? baselineSaves;
    private BaselineModel? baselines;
    private ulong baselineFailuresReported;
    private ulong outputFailuresReported;
    private Output.OutputLossLog? outputLoss;
    private Logging.EngineConnectivityLog? engineConnectivity;
    private EbpfFlowSource? source;
    private OneWaySensor.Pcap.PcapLiveSource? pcap;
    private ContainerAddresses? addresses;
    private DetectionEngine? engine;
    private Timer? watchdog;
    private int watching;
    private readonly Logging.ReportThrottle lossReport = new();
    private readonly Logging.ReportThrottle unattributedReport = new();
    private bool handlerFailureReported;
    private ulong malformedReported;
    private int cgroupsNamed;
    private long nextCgroupPruneUnixNs;
    private readonly List<ulong> cgroupsGone = [];
    private HashSet<ulong> goneAtLastCheck = [];
    private HashSet<ulong> goneNow = [];
    private DateTime stopAt = DateTime.MaxValue;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // eBPF where it can run; otherwise, unless told eBPF only, the pcap fallback, saying why
        string? cgroupRoot = null;
        string? ebpfProblem = null;
        if (options.Source != "pcap")
        {
            try
            {
                cgroupRoot = Preflight.Run(warning => LogWarning(warning));
            }
            catch (SensorException error) when (options.Source == "auto")
            {
                ebpfProblem = error.Message;
            }
        }

        cgroups = new CgroupDirectory(cgroupRoot ?? CgroupDirectory.FindRoot() ?? "/sys/fs/cgroup");
        engines = new ContainerEngines(options.EffectiveContainerEngineSockets);
        var enricher = new AlertEnricher(engines, processes, TimeSpan.FromMilliseconds(options.MetadataWaitMilliseconds));
        addresses = cgroupRoot is null ? new ContainerAddresses(engines) : null;
        output = new OutputPipeline(OpenSinks(), enricher, cgroups, engines.TryGet, addresses);
        outputLoss = new Output.OutputLossLog(logger);

        // sockets the operator named are expected to answer; of the defaults, only one that once did
        engineConnectivity = new Logging.EngineConnectivityLog(reportNeverConnected: options.ContainerEngineSockets is not null, logger);
        if (options.Metrics is not null)
        {
            // before the programs load: a port in use fails start-up with nothing attached
            metrics = Health.MetricsServer.Listen(MetricsEndpoint.Parse(options.Metrics).EndPoint!, () => status?.Latest);
        }

        OpenBaselines();
        IAlertSink alerts = output;
        if (detection.AutoIsolate.Count > 0 && cgroupRoot is not null)
        {
            autoIsolator = new Isolation.AutoIsolator(output, detection.AutoIsolate, cgroupRoot, logger);
            alerts = autoIsolator;
        }
        else if (detection.AutoIsolate.Count > 0)
        {
            LogWarning("Detection:AutoIsolate is set, but isolation needs the eBPF source: alerts will not isolate");
        }

        alertTally = new Top.AlertTally(alerts);
        workloads = new WorkloadDirectory(cgroups, engines, addresses);
        engine = new DetectionEngine(options.WindowSeconds, detection, workloads, alertTally, baselines, baselineSaves);
        engines.Start(runtimeEvent =>
        {
            if (runtimeEvent.Command is not null && engines.TryGet(runtimeEvent.ContainerId)?.HealthcheckCommand == runtimeEvent.Command)
            {
                runtimeEvent = runtimeEvent with { Healthcheck = true };
            }

            engine.Observe(runtimeEvent);
            output.Emit(runtimeEvent);
        });
        long now = UnixTime.FromDateTimeOffset(DateTimeOffset.UtcNow);
        if (options.FlowSummarySeconds > 0)
        {
            summarizer = new FlowSummarizer(now);
            table.Summarizer = summarizer;
            nextSummaryUnixNs = now + options.FlowSummarySeconds * UnixTime.NanosecondsPerSecond;
        }

        nextHealthUnixNs = now + options.HealthSeconds * UnixTime.NanosecondsPerSecond;
        if (cgroupRoot is not null)
        {
            EbpfFlowSource ebpf = source = new EbpfFlowSource(options, table, AfterPoll, OnProcessEvent, output.Emit);
            status = new Health.StatusCollector(() => Health.StatusCollector.Ebpf(ebpf, options.FlowMapEntries), table, engine, output, engines, export, baselineSaves);
            source.Start(cgroupRoot);
            ReportFlowPin(ebpf);
        }
        else
        {
            StartPcap(ebpfProblem);
        }

        if (!string.IsNullOrEmpty(options.ControlSocket))
        {
            control = Control.ControlServer.Listen(options.ControlSocket, this);
        }

        if (options.DurationSeconds > 0)
        {
            stopAt = DateTime.UtcNow.AddSeconds(options.DurationSeconds);
        }

        DropCapabilities();
        watchdog = new Timer(_ => Watch(), null, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200));
        string engineSockets = engines.Sockets.Count == 0 ? "none" : string.Join(", ", engines.Sockets);
        if (cgroupRoot is not null)
        {
            LogReady(cgroupRoot, options.WindowSeconds, options.FlowMapEntries, engineSockets);
        }
        else
        {
            LogReadyPcap(options.CaptureInterface, options.WindowSeconds, engineSockets);
        }

        string sinkNames = string.Join(", ", output.Sinks.Select(sink => sink.Name));
        LogSinks(sinkNames, options.Persisted ? options.StatePath! : "memory only", export?.Path ?? "off", options.Metrics ?? "off");

        return Task.CompletedTask;
    }

    /// <summary>The pcap fallback on <see cref="SensorOptions.CaptureInterface"/>; its failure names why eBPF was not used either.</summary>
    private void StartPcap(string? ebpfProblem)
    {
        long second = UnixTime.NanosecondsPerSecond;
        try
        {
            pcap = OneWaySensor.Pcap.PcapLiveSource.Open(options.CaptureInterface, table, options.PollIntervalMilliseconds * 1_000_000L, options.EffectiveIdleTimeoutSeconds * second, AfterPoll, addresses);
        }
        catch (OneWaySensor.Pcap.CaptureException error)
        {
            throw new SensorException(ebpfProblem is null ? error.Message : $"{ebpfProblem}; the pcap fallback failed too: {error.Message}");
        }

        OneWaySensor.Pcap.PcapLiveSource live = pcap;
        status = new Health.StatusCollector(() => Health.StatusCollector.Pcap(live), table, engine!, output!, engines!, export, baselineSaves);
        LogFallback(ebpfProblem ?? "Sensor:Source is pcap", options.CaptureInterface);
        pcap.Start();
    }

    /// <summary>
    /// Every sink the options ask for, opened now so that a bad path, an
    /// unwritable state file or a socket path taken fails start-up with one line.
    /// </summary>
    private List<Output.IRecordSink> OpenSinks()
    {
        var sinks = new List<Output.IRecordSink> { StdoutSink.Open() };
        try
        {
            if (options.AlertsFile is not null)
            {
                sinks.Add(RotatingJsonLinesFile.Open("alerts_file", options.AlertsFile, options.FileMaxBytes, options.FileKeep, kind => kind == RecordKind.Alert));
            }

            if (options.OutputFile is not null)
            {
                sinks.Add(RotatingJsonLinesFile.Open("output_file", options.OutputFile, options.FileMaxBytes, options.FileKeep, _ => true));
            }

            if (options.Persisted)
            {
                sinks.Add(new AlertHistorySink(State.SqliteAlertHistory.OpenForAppend(options.StatePath!)));
            }

            if (options.Export.Socket is not null)
            {
                export = Export.ExportServer.Listen(options.Export, client => LogExportClientCutLoose(client.Id, client.Missed, options.Export.StallTimeoutSeconds));
                sinks.Add(export);
            }

            return sinks;
        }
        catch
        {
            foreach (Output.IRecordSink sink in sinks)
            {
                sink.Dispose();
            }

            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (watchdog is not null)
        {
            await watchdog.DisposeAsync();
            watchdog = null;
        }

        if (control is not null)
        {
            await control.DisposeAsync();
            control = null;
        }

        if (metrics is not null)
        {
            await metrics.DisposeAsync();
            metrics = null;
        }

        pcap?.Stop();
        source?.Stop();
        if (source is { StopLeftThreadRunning: true })
        {
            // the table and the detections are still that thread's: nothing more is read from them
            LogStopWithoutLastPoll(source.StopWait.TotalSeconds, table.Count);
        }
        else if (source is not null || pcap is not null)
        {
            // the source's thread has ended: the last summary and health record go out with everything queued
            long now = UnixTime.FromDateTimeOffset(DateTimeOffset.UtcNow);
            EmitSummaries(now);
            output?.Emit(new Health.HealthRecord(status!.Collect()));
            ulong saveFailuresBefore = baselineSaves?.SaveFailures ?? 0;
            baselineSaves?.Flush();
            if (baselineSaves is not null && baselineSaves.SaveFailures > saveFailuresBefore)
            {
                LogBaselineSaveFailed(baselineSaves.SaveFailures, baselineSaves.LastError ?? "unknown");
            }

            if (source is not null)
            {
                EbpfSourceHealth health = source.Health();
                LogStopped(table.Count, engine?.AlertsRaised ?? 0, health.Lost, health.RingBufferFull, health.FlowsEvicted, health.FlowsRestarted, health.RecordsSkipped, health.UnparsedPackets, health.Fragments, output?.Dropped ?? 0);
            }
            else if (pcap is not null)
            {
                OneWaySensor.Pcap.CaptureCounters counts = pcap.Counters;
                LogStoppedPcap(table.Count, engine?.AlertsRaised ?? 0, counts.Packets, counts.NotIp, counts.Skipped, pcap.Dropped, output?.Dropped ?? 0);
            }
        }

        if (output is not null)
        {
            await output.DisposeAsync();
            output = null;
        }

        if (engines is not null)
        {
            await engines.DisposeAsync();
            engines = null;
        }

        baselineStore?.Dispose();
        baselineStore = null;
        autoIsolator?.Dispose();
    }

    /// <summary>The per-image baselines, loaded from their store so a restart loses nothing learned.</summary>
    private void OpenBaselines()
    {
        BaselineOptions baseline = detection.Baseline;
        if (!baseline.Enabled)
        {
            return;
        }

        IReadOnlyDictionary<string, ImageBaseline>? loaded = null;
        if (options.Persisted)
        {
            baselineStore = new State.SqliteBaselineStore(options.StatePath!, baseline.MaxDestinationsPerImage, baseline.MaxPortsPerImage);
            loaded = baselineStore.Load();
            if (baselineStore.SkippedRows > 0)
            {
                LogWarning($"baseline store {baselineStore.Path}: {baselineStore.SkippedRows} unreadable rows skipped, first: {baselineStore.SkipReasons[0]}");
            }
        }

        baselines = new BaselineModel(baseline, loaded);
        if (baselineStore is not null)
        {
            baselineSaves = new BaselinePersistence(baselines, baselineStore, UnixTime.FromDateTimeOffset(DateTimeOffset.UtcNow));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (watchdog is not null)
        {
            await watchdog.DisposeAsync();
        }

        if (metrics is not null)
        {
            await metrics.DisposeAsync();
        }

        source?.Dispose();
        pcap?.Dispose();
        baselineStore?.Dispose();
        if (output is not null)
        {
            await output.DisposeAsync();
        }

        if (engines is not null)
        {
            await engines.DisposeAsync();
        }
    }

    /// <summary>On the source's thread: every exec and exit, kept for alerts, printed for containers.</summary>
    private void OnProcessEvent(ProcessEvent processEvent)
    {
        processes.Record(processEvent);
        if (options.HostProcessEvents || workloads!.Describe(processEvent.CgroupId).Container is not null)
        {
            output!.Emit(processEvent);
        }
    }

    public Task<string> InvestigateAsync(ulong cgroupId, CancellationToken cancellation) => AskSourceThread(nowUnixNs =>
    {
        Workload workload = workloads!.Describe(cgroupId);
        IReadOnlyList<RuntimeEvent> runtimeEvents = workload.Container is null ? [] : engines!.RecentEvents(workload.Container.Id);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(8192);
        OneWaySensor.Output.InvestigationJsonWriter.Write(engine!.Investigate(cgroupId), workload, runtimeEvents, UnixTime.ToDateTimeOffset(nowUnixNs), buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }, cancellation);

    public Task<string> StatusAsync(CancellationToken cancellation) =>
        AskSourceThread(_ => Health.HealthJsonWriter.ToJson(status!.Collect()), cancellation);

    public Task<string> TopAsync(CancellationToken cancellation) =>
        AskSourceThread(nowUnixNs => Top.TopRows.Write(table, workloads!, alertTally!, UnixTime.ToDateTimeOffset(nowUnixNs)), cancellation);

    /// <summary>Any thread: queues the question for the source's thread, which owns the flow table and the detections' state.</summary>
    private Task<string> AskSourceThread(Func<long, string> build, CancellationToken cancellation)
    {
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellation.Register(() => answer.TrySetCanceled(cancellation));
        questions.Enqueue((build, answer));
        return answer.Task;
    }

    private void AnswerQuestions(long nowUnixNs)
    {
        while (questions.TryDequeue(out (Func<long, string> Build, TaskCompletionSource<string> Answer) question))
        {
            try
            {
                question.Answer.TrySetResult(question.Build(nowUnixNs));
            }
#pragma warning disable CA1031 // a failed answer goes to the asker, never up the source's thread
            catch (Exception error)
#pragma warning restore CA1031
            {
                question.Answer.TrySetException(error);
            }
        }
    }

    /// <summary>The flow summaries of the interval that ends now.</summary>
    private void EmitSummaries(long nowUnixNs)
    {
        if (summarizer is null)
        {
            return;
        }

        output!.Emit(summarizer.Summarize(table, nowUnixNs));
    }

    /// <summary>Status each second (for the metrics endpoint), health records and flow summaries when due.</summary>
    private void EmitPeriodic(long nowUnixNs)
    {
        if (nowUnixNs >= nextStatusUnixNs)
        {
            nextStatusUnixNs = nowUnixNs + UnixTime.NanosecondsPerSecond;
            Health.SensorStatus snapshot = status!.Collect();
            if (options.HealthSeconds > 0 && nowUnixNs >= nextHealthUnixNs)
            {
                nextHealthUnixNs = nowUnixNs + options.HealthSeconds * UnixTime.NanosecondsPerSecond;
                output!.Emit(new Health.HealthRecord(snapshot));
            }
        }

        if (summarizer is not null && nowUnixNs >= nextSummaryUnixNs)
        {
            nextSummaryUnixNs = nowUnixNs + options.FlowSummarySeconds * UnixTime.NanosecondsPerSecond;
            EmitSummaries(nowUnixNs);
        }
    }

    /// <summary>On the source's thread, after each read of the kernel's flows.</summary>
    private void AfterPoll(long nowUnixNs)
    {
        AnswerQuestions(nowUnixNs);
        // name new cgroups while they exist: a container may be gone by the time its alert is written
        if (table.Cgroups.Count != cgroupsNamed)
        {
            cgroupsNamed = table.Cgroups.Count;
            foreach (ulong cgroupId in table.Cgroups.Keys)
            {
                workloads!.Describe(cgroupId);
            }
        }

        engine!.Evaluate(table, nowUnixNs);
        processes.Sweep(nowUnixNs);
        EmitPeriodic(nowUnixNs);
        PruneCgroups(nowUnixNs);
        if (source is not null)
        {
            ReportLoss(source.Health());
        }
    }

    /// <summary>
    /// The totals, names and alert tallies of cgroups that are gone and have
    /// no flow left: containers come and go, and the sensor's memory must
    /// follow the ones that exist. Checked every summary interval (at least a
    /// minute); a cgroup is dropped when found gone at two checks running, so
    /// the records still owed for it (its last flow summary) go out with its
    /// name. eBPF only: the pcap source's ids are its own, not cgroups.
    /// </summary>
    private void PruneCgroups(long nowUnixNs)
    {
        if (source is null || nowUnixNs < nextCgroupPruneUnixNs)
        {
            return;
        }

        nextCgroupPruneUnixNs = nowUnixNs + Math.Max(60, options.FlowSummarySeconds) * UnixTime.NanosecondsPerSecond;
        cgroupsGone.Clear();
        goneNow.Clear();
        table.PruneCgroups(GoneAtTwoChecks, cgroupsGone);
        (goneAtLastCheck, goneNow) = (goneNow, goneAtLastCheck);
        if (cgroupsGone.Count == 0)
        {
            return;
        }

        foreach (ulong cgroupId in cgroupsGone)
        {
            workloads!.Forget(cgroupId);
            cgroups!.Forget(cgroupId);
            alertTally!.Forget(cgroupId);
        }

        cgroupsNamed = table.Cgroups.Count;
    }

    private bool GoneAtTwoChecks(ulong cgroupId)
    {
        if (!cgroups!.IsGone(cgroupId))
        {
            return false;
        }

        if (goneAtLastCheck.Contains(cgroupId))
        {
            return true;
        }

        goneNow.Add(cgroupId);
        return false;
    }

    private void ReportLoss(EbpfSourceHealth health)
    {
        if (lossReport.ShouldReport(health.Lost))
        {
            LogLoss(health.RingBufferFull, health.FlowUpdateFailed, health.FlowsEvicted, health.FlowsRestarted, health.RecordsSkipped, health.RingCorrupt, table.Counters.ForgottenAtLimit, table.MaxFlows);
        }

        if (unattributedReport.ShouldReport(health.UnparsedPackets + health.Fragments))
        {
            LogUnattributed(health.UnparsedPackets, health.Fragments);
        }

        if (!handlerFailureReported && source!.FirstHandlerFailure is Exception failure)
        {
            handlerFailureReported = true;
            LogHandlerFailure(health.HandlerFailed, failure.Message);
        }
    }

    /// <summary>
    /// The watchdog's tick. A timer's callbacks overlap when one runs longer
    /// than the period (a loaded host), and what it keeps (what was said,
    /// and when) is for one thread at a time: a tick that finds the last one
    /// still running is skipped.
    /// </summary>
    private void Watch()
    {
        if (Interlocked.Exchange(ref watching, 1) != 0)
        {
            return;
        }

        try
        {
            WatchOnce();
        }
        finally
        {
            Volatile.Write(ref watching, 0);
        }
    }

    private void WatchOnce()
    {
        if (output is not null)
        {
            outputLoss?.Check(output.Sinks, output.Dropped);
        }

        if (engines is not null)
        {
            engineConnectivity?.Check(engines.Connections());
        }

        if (output is { Failed: > 0 } && (ulong)output.Failed > outputFailuresReported)
        {
            outputFailuresReported = (ulong)output.Failed;
            LogOutputFailed(output.Failed, output.FirstFailure?.Message ?? "unknown");
        }

        if (baselineSaves is not null && baselineSaves.SaveFailures > baselineFailuresReported)
        {
            baselineFailuresReported = baselineSaves.SaveFailures;
            LogBaselineSaveFailed(baselineSaves.SaveFailures, baselineSaves.LastError ?? "unknown");
        }

        // a container engine that answers nonsense is counted, and said at the first and at each doubling
        if (engines?.Totals().Malformed is ulong malformed && malformed > 0 && malformed >= 2 * malformedReported)
        {
            malformedReported = malformed;
            LogMalformedEngineAnswers(malformed);
        }

        if ((source?.Failure ?? pcap?.Failure) is Exception failure)
        {
            LogSourceFailed(failure.Message);
            Environment.ExitCode = Program.Failure;
            lifetime.StopApplication();
        }
        else if (DateTime.UtcNow >= stopAt)
        {
            lifetime.StopApplication();
        }
    }

    /// <summary>Everything is loaded, attached and listening: keep only what running needs.</summary>
    private void DropCapabilities()
    {
        // kernels before 6.5 with unprivileged BPF disabled check CAP_BPF on every map read
        int[] keep = source is not null && source.MapReadsNeedCapability() ? [.. Privileges.Running, Privileges.CapBpf] : Privileges.Running;
        if (Privileges.KeepOnly(keep) is string problem)
        {
            LogWarning(problem);
            return;
        }

        string kept = Privileges.Names(keep);
        LogCapabilitiesDropped(kept);
    }

    /// <summary>One line when the flow map will not outlive a restart, or when it carried flows over.</summary>
    private void ReportFlowPin(EbpfFlowSource ebpf)
    {
        string directory = options.FlowPinDirectory ?? string.Empty;
        switch (ebpf.FlowPin)
        {
            case FlowPinResult.Pinned when ebpf.ResumedFlows > 0:
                LogFlowsResumed(directory, ebpf.ResumedFlows);
                break;
            case FlowPinResult.Replaced:
                LogWarning($"the flow map pinned in {directory} had another shape (Sensor:FlowMapEntries changed, or another version): replaced; the flows it held were not carried over");
                break;
            case FlowPinResult.HeldByAnother:
                LogWarning($"another running sensor holds the pinned flow map in {directory}: this one counts in a map of its own, which a restart does not carry over");
                break;
            case FlowPinResult.NotOnBpffs:
                LogWarning($"{directory} is not on a mounted bpffs: the flow map goes with the process, and a restart does not carry flows over");
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "sensor ready: eBPF programs attached to cgroup {CgroupRoot}; window {WindowSeconds} s; flow map {FlowMapEntries} entries; container engines: {Engines}")]
    private partial void LogReady(string cgroupRoot, int windowSeconds, int flowMapEntries, string engines);

    [LoggerMessage(Level = LogLevel.Information, Message = "sensor stopped: programs detached; {Flows} flows tracked, {Alerts} alerts; lost {Lost} (ring buffer full {RingBufferFull}, flows evicted {Evicted}, restarted {Restarted}, records skipped {Skipped}); packets not attributed to a flow: unparsed {Unparsed}, later fragments {Fragments}; output records dropped {OutputDropped}")]
    private partial void LogStopped(int flows, ulong alerts, ulong lost, ulong ringBufferFull, ulong evicted, ulong restarted, ulong skipped, ulong unparsed, ulong fragments, long outputDropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sensor stopped: programs detached, without the last poll: the flow source was still in a poll {WaitSeconds} s after the stop (the host is too loaded for the {Flows} flows it tracks); what was queued is written, the last flow summary and health record are not")]
    private partial void LogStopWithoutLastPoll(double waitSeconds, int flows);

    [LoggerMessage(Level = LogLevel.Information, Message = "sensor stopped: capture closed; {Flows} flows tracked, {Alerts} alerts; packets {Packets}, not IP {NotIp}, skipped (truncated, malformed, unknown link type) {Skipped}, dropped by libpcap {Dropped}; output records dropped {OutputDropped}")]
    private partial void LogStoppedPcap(int flows, ulong alerts, ulong packets, ulong notIp, ulong skipped, ulong dropped, long outputDropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "loss: ring buffer full {RingBufferFull}, flow map full {FlowUpdateFailed}, flows evicted {Evicted}, flows restarted after eviction {Restarted}, records skipped {Skipped}, ring corrupt {Corrupt}; evicted flows forgotten at the tracked-flow limit ({Limit}) {Forgotten} (said again at most once a minute while it grows; the metrics count every one)")]
    private partial void LogLoss(ulong ringBufferFull, ulong flowUpdateFailed, ulong evicted, ulong restarted, ulong skipped, ulong corrupt, ulong forgotten, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "packets not attributed to a flow: headers unparsed {Unparsed}, later IP fragments {Fragments} (said again at most once a minute while it grows)")]
    private partial void LogUnattributed(ulong unparsed, ulong fragments);

    [LoggerMessage(Level = LogLevel.Error, Message = "a kernel record handler failed ({Count} so far): {Reason}")]
    private partial void LogHandlerFailure(ulong count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "container engine answers that could not be read, so far: {Malformed} (skipped; the sensor goes on)")]
    private partial void LogMalformedEngineAnswers(ulong malformed);

    [LoggerMessage(Level = LogLevel.Error, Message = "baselines could not be saved ({Failures} failures so far; retried with the next save): {Reason}")]
    private partial void LogBaselineSaveFailed(ulong failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "output: sinks {Sinks}; state {State}; export socket {Export}; metrics {Metrics}")]
    private partial void LogSinks(string sinks, string state, string export, string metrics);

    [LoggerMessage(Level = LogLevel.Warning, Message = "export client {Client} cut loose: its buffer stayed full for {StallSeconds} s; it missed {Missed} records")]
    private partial void LogExportClientCutLoose(long client, long missed, int stallSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "output records that could not be written, so far: {Failed}; first: {Reason}")]
    private partial void LogOutputFailed(long failed, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "flow map pinned in {Directory}: carried on with {Flows} flows the sensor before counted")]
    private partial void LogFlowsResumed(string directory, int flows);

    [LoggerMessage(Level = LogLevel.Information, Message = "started: every thread dropped its capabilities but {Kept}, and cannot regain them")]
    private partial void LogCapabilitiesDropped(string kept);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogWarning(string warning);

    [LoggerMessage(Level = LogLevel.Information, Message = "sensor ready: pcap source capturing on {Interface}; window {WindowSeconds} s; container engines: {Engines}")]
    private partial void LogReadyPcap(string @interface, int windowSeconds, string engines);

    [LoggerMessage(Level = LogLevel.Warning, Message = "eBPF not used ({Reason}): falling back to the pcap source on {Interface}; containers are named by address; no processes or cgroups")]
    private partial void LogFallback(string reason, string @interface);

    [LoggerMessage(Level = LogLevel.Error, Message = "the flow source stopped: {Reason}")]
    private partial void LogSourceFailed(string reason);
}
