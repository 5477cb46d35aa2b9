using System.Buffers;
using System.Threading.Channels;
using OneWaySensor.Alerts;
using OneWaySensor.Cgroups;
using OneWaySensor.Containers;
using OneWaySensor.Containers.Cgroups;
using OneWaySensor.Linux.Isolation;
using OneWaySensor.Output;
using OneWaySensor.Processes;

namespace OneWaySensor.Cli.Output;

/// <summary>
/// The one output stream: alerts, container runtime events and process
/// events become JSON lines on stdout, and alerts are also appended to the
/// alerts file. Producers never wait: records queue in a bounded channel and
/// one task enriches and writes them; a record that finds the queue full is
/// dropped and counted. Each line is flushed at once.
/// </summary>
internal sealed class OutputPipeline : IAlertSink, IAsyncDisposable
{
    private const int QueueCapacity = 65536;

    private readonly Channel<object> queue = Channel.CreateBounded<object>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    private readonly Stream stdout;
    private readonly FileStream? alertsFile;
    private readonly AlertEnricher enricher;
    private readonly ICgroupDirectory cgroups;
    private readonly Func<string, ContainerMetadata?> cachedMetadata;
    private readonly ArrayBufferWriter<byte> line = new(4096);
    private readonly CancellationTokenSource stopping = new();
    private readonly Task writer;
    private long dropped;
    private long written;
    private long alertsFileFailures;
    private long failed;

    private OutputPipeline(Stream stdout, FileStream? alertsFile, AlertEnricher enricher, ICgroupDirectory cgroups, Func<string, ContainerMetadata?> cachedMetadata)
    {
        this.stdout = stdout;
        this.alertsFile = alertsFile;
        this.enricher = enricher;
        this.cgroups = cgroups;
        this.cachedMetadata = cachedMetadata;
        writer = Task.Run(WriteAllAsync);
    }

    /// <summary>Records dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    public long Written => Interlocked.Read(ref written);

    /// <summary>Records that could not be written at all (stdout failing, a writer throwing); the first failure is kept.</summary>
    public long Failed => Interlocked.Read(ref failed);

    public Exception? FirstFailure { get; private set; }

    /// <summary>Alert lines that could not be appended to the alerts file.</summary>
    public long AlertsFileFailures => Interlocked.Read(ref alertsFileFailures);

    /// <summary>Opens the alerts file for appending (created if absent); throws IOException naming it when it cannot.</summary>
    public static OutputPipeline Open(string? alertsFile, AlertEnricher enricher, ICgroupDirectory cgroups, Func<string, ContainerMetadata?> cachedMetadata)
    {
        FileStream? file = null;
        if (alertsFile is not null)
        {
            try
            {
                file = new FileStream(alertsFile, FileMode.Append, FileAccess.Write, FileShare.Read);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"cannot open the alerts file {alertsFile}: {error.Message}", error);
            }
        }

        return new OutputPipeline(Console.OpenStandardOutput(), file, enricher, cgroups, cachedMetadata);
    }

    public void Emit(Alert alert) => Enqueue(alert);

    public void Emit(RuntimeEvent runtimeEvent) => Enqueue(runtimeEvent);

    public void Emit(ProcessEvent processEvent) => Enqueue(processEvent);

    /// <summary>A container isolated or released (ADS "Isolate the container"), as the kernel's deny set changed.</summary>
    public void Emit(IsolationChange change) => Enqueue(change);

    /// <summary>Writes everything queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        if (!writer.Wait(TimeSpan.FromSeconds(10)))
        {
            await stopping.CancelAsync(); // an engine that never answers must not hold shutdown
        }

        await writer.ConfigureAwait(false);
        stopping.Dispose();
        if (alertsFile is not null)
        {
            await alertsFile.DisposeAsync();
        }

        await stdout.DisposeAsync();
    }

    private void Enqueue(object record)
    {
        if (!queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref dropped);
        }
    }

    private async Task WriteAllAsync()
    {
        await foreach (object record in queue.Reader.ReadAllAsync())
        {
            try
            {
                await WriteAsync(record);
            }
#pragma warning disable CA1031 // one bad record must not end the output for every later one
            catch (Exception error)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref failed);
                FirstFailure ??= error;
            }
        }
    }

    private async Task WriteAsync(object record)
    {
        line.ResetWrittenCount();
        bool toAlertsFile = false;
        switch (record)
        {
            case Alert alert:
                Alert enriched = await EnrichAsync(alert);
                AlertJsonWriter.Write(enriched, line);
                toAlertsFile = true;
                break;
            case RuntimeEvent runtimeEvent:
                RuntimeEventJsonWriter.Write(runtimeEvent, cachedMetadata(runtimeEvent.ContainerId), line);
                break;
            case IsolationChange change:
                ContainerIdentity? who = CgroupPathParser.Parse(change.CgroupPath ?? cgroups.PathOf(change.CgroupId));
                Isolation.IsolationJsonWriter.Write(change, who, who is null ? null : cachedMetadata(who.Id)?.Name, line);
                break;
            case ProcessEvent processEvent:
                string? path = cgroups.PathOf(processEvent.CgroupId);
                ProcessEventJsonWriter.Write(processEvent, path, CgroupPathParser.Parse(path), line);
                break;
        }

        line.Write("\n"u8);
        await stdout.WriteAsync(line.WrittenMemory);
        await stdout.FlushAsync();
        if (toAlertsFile && alertsFile is not null)
        {
            await AppendToAlertsFileAsync(line.WrittenMemory);
        }

        Interlocked.Increment(ref written);
    }

    /// <summary>A failing alerts file (a full disk) is counted; stdout goes on.</summary>
    private async ValueTask AppendToAlertsFileAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await alertsFile!.WriteAsync(bytes);
            await alertsFile.FlushAsync();
        }
        catch (IOException)
        {
            Interlocked.Increment(ref alertsFileFailures);
        }
    }

    private async ValueTask<Alert> EnrichAsync(Alert alert)
    {
        try
        {
            return await enricher.EnrichAsync(alert, stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return alert; // shutting down: write what is known
        }
    }
}
