using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OneWaySensor.Configuration;
using OneWaySensor.Detection;
using OneWaySensor.Flows;
using OneWaySensor.Linux;
using OneWaySensor.Linux.Cgroups;

namespace OneWaySensor.Cli;

/// <summary>
/// Wires the eBPF source, the flow table, the detections and the alert
/// output together. Loading and attaching happen in <see cref="StartAsync"/>,
/// so a failure stops start-up with one line; stopping detaches everything.
/// </summary>
internal sealed partial class SensorService(
    SensorOptions options,
    IHostApplicationLifetime lifetime,
    ILogger<SensorService> logger) : IHostedService, IDisposable
{
    private readonly FlowTable table = new();
    private EbpfFlowSource? source;
    private DetectionEngine? engine;
    private Output.AlertOutput? output;
    private Timer? watchdog;
    private ulong lostReported;
    private DateTime stopAt = DateTime.MaxValue;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        string cgroupRoot = Preflight.Run();
        output = Output.AlertOutput.Open(options.AlertsFile);
        engine = new DetectionEngine(options.WindowSeconds, new CgroupDirectory(cgroupRoot), output);
        source = new EbpfFlowSource(options, table, AfterPoll);
        source.Start(cgroupRoot);
        if (options.DurationSeconds > 0)
        {
            stopAt = DateTime.UtcNow.AddSeconds(options.DurationSeconds);
        }

        watchdog = new Timer(_ => Watch(), null, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200));
        LogReady(cgroupRoot, options.WindowSeconds, options.FlowMapEntries);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        watchdog?.Dispose();
        watchdog = null;
        if (source is not null)
        {
            source.Stop();
            EbpfSourceHealth health = source.Health();
            LogStopped(table.Count, engine?.AlertsRaised ?? 0, health.Lost, health.RingBufferFull, health.FlowsEvicted, health.RecordsSkipped);
        }

        output?.Flush();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        watchdog?.Dispose();
        source?.Dispose();
        output?.Dispose();
    }

    /// <summary>On the source's thread, after each read of the kernel's flows.</summary>
    private void AfterPoll(long nowUnixNs)
    {
        engine!.Evaluate(table, nowUnixNs);
        EbpfSourceHealth health = source!.Health();
        if (health.Lost > lostReported)
        {
            lostReported = health.Lost;
            LogLoss(health.RingBufferFull, health.FlowUpdateFailed, health.FlowsEvicted, health.FlowsRestarted, health.RecordsSkipped, health.RingCorrupt);
        }
    }

    private void Watch()
    {
        if (source?.Failure is Exception failure)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "sensor ready: eBPF programs attached to cgroup {CgroupRoot}; window {WindowSeconds} s; flow map {FlowMapEntries} entries")]
    private partial void LogReady(string cgroupRoot, int windowSeconds, int flowMapEntries);

    [LoggerMessage(Level = LogLevel.Information, Message = "sensor stopped: programs detached; {Flows} flows tracked, {Alerts} alerts; lost {Lost} (ring buffer full {RingBufferFull}, flows evicted {Evicted}, records skipped {Skipped})")]
    private partial void LogStopped(int flows, ulong alerts, ulong lost, ulong ringBufferFull, ulong evicted, ulong skipped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "loss: ring buffer full {RingBufferFull}, flow map full {FlowUpdateFailed}, flows evicted {Evicted}, flows restarted after eviction {Restarted}, records skipped {Skipped}, ring corrupt {Corrupt}")]
    private partial void LogLoss(ulong ringBufferFull, ulong flowUpdateFailed, ulong evicted, ulong restarted, ulong skipped, ulong corrupt);

    [LoggerMessage(Level = LogLevel.Error, Message = "the eBPF source stopped: {Reason}")]
    private partial void LogSourceFailed(string reason);
}
