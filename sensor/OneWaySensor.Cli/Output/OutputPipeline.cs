using System.Buffers;
using System.Globalization;
using System.Threading.Channels;
using OneWaySensor.Alerts;
using OneWaySensor.Cgroups;
using OneWaySensor.Containers;
using OneWaySensor.Containers.Cgroups;
using OneWaySensor.Flows;
using OneWaySensor.Linux.Isolation;
using OneWaySensor.Output;
using OneWaySensor.Processes;

namespace OneWaySensor.Cli.Output;

/// <summary>
/// The one output stream. Every record the sensor emits (alerts, container
/// runtime events, process events, isolation changes, flow summaries, health)
/// is queued here, written once as a JSON line stamped with its place in the
/// stream ("seq"), and handed to every sink: stdout, the output and alerts
/// files, the alert history, the sidecar export. Producers never wait:
/// records queue in a bounded channel and one thread of its own enriches and
/// writes them (sinks write synchronously; on the thread pool they would
/// starve the export's senders); a record that finds the queue full is
/// dropped and counted. An interval's flow summaries are one entry: one
/// per cgroup and remote endpoint, they outnumber the queue on a host with
/// more endpoints than it holds, and each is already in memory.
/// </summary>
internal sealed class OutputPipeline : IAlertSink, IAsyncDisposable
{
    internal const int QueueCapacity = 65536;

    // Wait, not DropWrite: in DropWrite mode TryWrite drops the record and still returns true, so
    // nothing would count it. Producers only ever TryWrite, so none of them waits.
    private readonly Channel<object> queue = Channel.CreateBounded<object>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly IReadOnlyList<IRecordSink> sinks;
    private readonly AlertEnricher enricher;
    private readonly ICgroupDirectory cgroups;
    private readonly Func<string, ContainerMetadata?> cachedMetadata;
    private readonly ContainerAddresses? addressed;
    private readonly ArrayBufferWriter<byte> body = new(4096);
    private readonly ArrayBufferWriter<byte> line = new(4096);
    private readonly long[] written = new long[RecordKinds.All.Length];
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread writer;
    private long sequence;
    private long dropped;
    private long failed;

    /// <param name="addressed">Names the containers the pcap source found by address (their workload ids have no cgroup path).</param>
    public OutputPipeline(IReadOnlyList<IRecordSink> sinks, AlertEnricher enricher, ICgroupDirectory cgroups, Func<string, ContainerMetadata?> cachedMetadata, ContainerAddresses? addressed = null)
    {
        this.addressed = addressed;
        this.sinks = sinks;
        this.enricher = enricher;
        this.cgroups = cgroups;
        this.cachedMetadata = cachedMetadata;
        writer = new Thread(WriteAll) { IsBackground = true, Name = "ows-output" };
        writer.Start();
    }

    public IReadOnlyList<IRecordSink> Sinks => sinks;

    /// <summary>Records dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Records that could not be serialized, or that a sink threw on (each sink's throw counts); the first failure is kept.</summary>
    public long Failed => Interlocked.Read(ref failed);

    public Exception? FirstFailure { get; private set; }

    /// <summary>Records written so far, of one kind.</summary>
    public long Written(RecordKind kind) => Interlocked.Read(ref written[(int)kind]);

    public void Emit(Alert alert) => Enqueue(alert);

    public void Emit(RuntimeEvent runtimeEvent) => Enqueue(runtimeEvent);

    public void Emit(ProcessEvent processEvent) => Enqueue(processEvent);

    /// <summary>A container isolated or released (ADS "Isolate the container"), as the kernel's deny set changed.</summary>
    public void Emit(IsolationChange change) => Enqueue(change);

    /// <summary>One interval's flow summaries, queued as one entry and written one line each.</summary>
    public void Emit(List<FlowSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        if (summaries.Count > 0)
        {
            Enqueue(new SummaryBatch(summaries));
        }
    }

    public void Emit(Health.HealthRecord health) => Enqueue(health);

    /// <summary>Writes everything queued, then closes the sinks.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        if (!writer.Join(TimeSpan.FromSeconds(10)))
        {
            await stopping.CancelAsync(); // an engine that never answers must not hold shutdown
            writer.Join();
        }

        stopping.Dispose();
        foreach (IRecordSink sink in sinks)
        {
            sink.Dispose();
        }
    }

    private void Enqueue(object record)
    {
        if (!queue.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref dropped);
        }
    }

    private void WriteAll()
    {
        ChannelReader<object> records = queue.Reader;
        while (records.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (records.TryRead(out object? record))
            {
                Write(record);
            }
        }
    }

    private void Write(object record)
    {
        if (record is SummaryBatch batch)
        {
            foreach (FlowSummary summary in batch.Summaries)
            {
                Write(summary);
            }

            return;
        }

        object enriched;
        RecordKind kind;
        try
        {
            enriched = record is Alert alert ? Enrich(alert) : record;
            kind = Serialize(enriched);
            Stamp();
        }
#pragma warning disable CA1031 // one bad record must not end the output for every later one
        catch (Exception error)
#pragma warning restore CA1031
        {
            Fail(error);
            return;
        }

        foreach (IRecordSink sink in sinks)
        {
            try
            {
                sink.Write(kind, line.WrittenSpan, enriched);
            }
#pragma warning disable CA1031 // a sink that breaks its promise not to throw must not cost the sinks after it this record
            catch (Exception error)
#pragma warning restore CA1031
            {
                Fail(error);
            }
        }

        Interlocked.Increment(ref written[(int)kind]);
    }

    private void Fail(Exception error)
    {
        Interlocked.Increment(ref failed);
        FirstFailure ??= error;
    }

    /// <summary>The record as JSON into <see cref="body"/>, by the one writer of its kind.</summary>
    private RecordKind Serialize(object record)
    {
        body.ResetWrittenCount();
        switch (record)
        {
            case Alert alert:
                AlertJsonWriter.Write(alert, body);
                return RecordKind.Alert;
            case RuntimeEvent runtimeEvent:
                RuntimeEventJsonWriter.Write(runtimeEvent, cachedMetadata(runtimeEvent.ContainerId), body);
                return RecordKind.RuntimeEvent;
            case IsolationChange change:
                ContainerIdentity? who = CgroupPathParser.Parse(change.CgroupPath ?? cgroups.PathOf(change.CgroupId));
                Isolation.IsolationJsonWriter.Write(change, who, who is null ? null : cachedMetadata(who.Id)?.Name, body);
                return RecordKind.Isolation;
            case ProcessEvent processEvent:
                string? path = cgroups.PathOf(processEvent.CgroupId);
                ProcessEventJsonWriter.Write(processEvent, path, CgroupPathParser.Parse(path), body);
                return RecordKind.ProcessEvent;
            case FlowSummary summary:
                string? summaryPath = addressed?.IdentityOf(summary.CgroupId) is null ? cgroups.PathOf(summary.CgroupId) : null;
                ContainerIdentity? container = addressed?.IdentityOf(summary.CgroupId) ?? CgroupPathParser.Parse(summaryPath);
                FlowSummaryJsonWriter.Write(summary, summaryPath, container, container is null ? null : cachedMetadata(container.Id), body);
                return RecordKind.FlowSummary;
            case Health.HealthRecord health:
                Health.HealthJsonWriter.Write(health, body);
                return RecordKind.Health;
            default:
                throw new ArgumentException($"no writer for {record.GetType().Name}", nameof(record));
        }
    }

    /// <summary>
    /// Every record's JSON starts with '{'; "seq" goes right after it, so a
    /// reader can tell that it missed nothing and that the order held.
    /// </summary>
    private void Stamp()
    {
        line.ResetWrittenCount();
        line.Write("{\"seq\":"u8);
        Span<byte> digits = line.GetSpan(20);
        (++sequence).TryFormat(digits, out int length, provider: CultureInfo.InvariantCulture);
        line.Advance(length);
        line.Write(","u8);
        line.Write(body.WrittenSpan[1..]);
        line.Write("\n"u8);
    }

    private sealed record SummaryBatch(List<FlowSummary> Summaries);

    /// <summary>Waits for the engine on this thread only; the stream behind it waits, the sensor does not.</summary>
    private Alert Enrich(Alert alert)
    {
        try
        {
            return enricher.EnrichAsync(alert, stopping.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            return alert; // shutting down: write what is known
        }
    }
}
