using OneWaySensor.Configuration;
using OneWaySensor.Flows;
using OneWaySensor.Processes;
using OneWaySensor.Linux.Cgroups;
using OneWaySensor.Linux.Isolation;
using OneWaySensor.Linux.Kernel;

namespace OneWaySensor.Linux;

/// <summary>Everything the eBPF source has counted, loss first.</summary>
public readonly record struct EbpfSourceHealth(
    ulong RingBufferFull,
    ulong FlowUpdateFailed,
    ulong FlowsEvicted,
    ulong FlowsRestarted,
    ulong RecordsSkipped,
    ulong RingCorrupt,
    ulong HandlerFailed,
    ulong UnparsedPackets,
    ulong Fragments,
    ulong FlowsCreated,
    ulong RecordsDispatched,
    ulong ActiveFlows,
    ulong MapEntries,
    double LastPollSeconds,
    double MaxPollSeconds,
    ulong Polls)
{
    /// <summary>Everything that means data was lost or not understood.</summary>
    public ulong Lost => RingBufferFull + FlowUpdateFailed + FlowsEvicted + FlowsRestarted + RecordsSkipped + RingCorrupt;
}

/// <summary>
/// The Linux eBPF source: owns the loaded programs and one thread that
/// drains flow-open records from the ring buffer as they come and, every
/// poll interval, reads the kernel's flow map in one batch into the
/// <see cref="FlowTable"/>, then lets <paramref name="afterPoll"/> run (the
/// detections). Process exec and exit records go to <paramref name="processEvents"/>.
/// Nothing on the flow path allocates per record or per flow read.
/// <para>
/// The deny set behind <c>onewaysensor isolate</c> is pinned under bpffs at
/// start (<see cref="DenySet.PinDirectory"/>), reusing a set pinned before, so
/// isolation survives a restart (though not the seconds between two sensors:
/// the programs are links that go with the process). Each poll reads the set
/// and reports every change to <paramref name="isolationChanges"/>, on this
/// source's thread; entries of cgroups that are gone are removed. A clean
/// <see cref="Stop"/> unpins the set only when it is empty.
/// </para>
/// </summary>
public sealed class EbpfFlowSource : IDisposable
{
    private const int MaxWaitMs = 100;
    private const int DeleteChunk = 1024;

    /// <summary>
    /// How many readings ahead the poll asks for a flow's state: the map's
    /// order is random to the table. At 200 000 flows this took the poll to
    /// 0.85 and 0.90 of its time (bench/RESULTS.md).
    /// </summary>
    private const int PrefetchDistance = 8;

    private static readonly TimeSpan PruneInterval = TimeSpan.FromSeconds(1);

    private readonly EbpfProgram program;
    private readonly SensorOptions options;
    private readonly FlowTable table;
    private readonly Action<long>? afterPoll;
    private readonly FlowRecordHandler records;
    private readonly RecordDispatcher dispatcher;
    private readonly FlowKeyRecord[] keys;
    private readonly FlowStatsRecord[] values;
    private readonly FlowKeyRecord[] expiredKeys = new FlowKeyRecord[DeleteChunk];
    private readonly FlowStatsRecord[] expiredValues = new FlowStatsRecord[DeleteChunk];
    private readonly byte[] expiredFound = new byte[DeleteChunk];
    private readonly List<FlowKey> expired = [];
    private readonly ulong[] kernelCounters = new ulong[(int)KernelCounter.Count];
    private readonly Action<IsolationChange>? isolationChanges;
    private readonly List<IsolationEntry> isolationEntries = [];
    private readonly List<IsolationChange> isolationFound = [];
    private readonly List<ulong> isolationRemoved = [];
    private readonly Lock detachLock = new();
    private DenySet? denySet;
    private IsolationTracker? isolation;
    private DateTime nextPrune;
    private int mapEntries;
    private long lastPollTicks;
    private long maxPollTicks;
    private long polls;
    private RingBufferReader? ring;
    private MonotonicClock clock;
    private Thread? thread;
    private Thread? leftRunning;
    private volatile bool stopping;
    private Exception? failure;

    public EbpfFlowSource(
        SensorOptions options,
        FlowTable table,
        Action<long>? afterPoll = null,
        Action<ProcessEvent>? processEvents = null,
        Action<IsolationChange>? isolationChanges = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        this.table = table;
        this.afterPoll = afterPoll;
        this.isolationChanges = isolationChanges;
        program = EbpfProgram.Open(options);
        keys = new FlowKeyRecord[options.FlowMapEntries];
        values = new FlowStatsRecord[options.FlowMapEntries];
        records = new FlowRecordHandler(table, processEvents);
        dispatcher = records.CreateDispatcher();
    }

    /// <summary>The cgroup the programs are attached to, once started.</summary>
    public string? AttachedCgroup { get; private set; }

    /// <summary>The first exception a record handler threw, kept for one log line.</summary>
    public Exception? FirstHandlerFailure => dispatcher.FirstHandlerFailure;

    /// <summary>Set when the reading thread stopped on an error.</summary>
    public Exception? Failure => failure;

    /// <summary>
    /// True once started with the deny set pinned: <c>onewaysensor isolate</c>
    /// works. False when bpffs is not mounted (<see cref="Preflight"/> warns then).
    /// </summary>
    public bool IsolationAvailable { get; private set; }

    /// <summary>How many cgroups the deny set held at the last poll.</summary>
    public int IsolatedCgroups => isolation?.Count ?? 0;

    /// <summary>
    /// After <see cref="Stop"/>: true when the pins were kept, because
    /// something is still isolated (it stays so when the next sensor starts)
    /// or another sensor uses them.
    /// </summary>
    public bool IsolationPinsKept { get; private set; }

    /// <summary>How pinning the flow map went at start; null when <see cref="SensorOptions.FlowPinDirectory"/> is empty.</summary>
    public FlowPinResult? FlowPin { get; private set; }

    /// <summary>Flows found in the pinned map at start: the sensor before this one counted them, and the table carries on with them.</summary>
    public int ResumedFlows { get; private set; }

    /// <summary>Loads and attaches the programs and starts reading. Throws <see cref="SensorException"/> with one line on failure.</summary>
    public void Start(string cgroupRoot)
    {
        IsolationAvailable = program.PinIsolation(DenySet.PinDirectory);
        FlowPin = string.IsNullOrEmpty(options.FlowPinDirectory) ? null : program.PinFlows(options.FlowPinDirectory);
        program.Load();
        if (IsolationAvailable)
        {
            denySet = program.OpenDenySet();
            isolation = new IsolationTracker(
                id => CgroupHandle.PathOf(cgroupRoot, id) is string path && path.StartsWith(cgroupRoot, StringComparison.Ordinal) ? RelativeOrRoot(cgroupRoot, path) : null,
                (id, path) => CgroupExists(cgroupRoot, id, path));

            // what was isolated before this start, reported (as present at start) by the first poll
            denySet.Read(isolationEntries);
            isolation.Observe(isolationEntries, DateTimeOffset.UtcNow, isolationFound);
        }

        ring = program.MapRing();
        clock = EbpfProgram.CurrentClock();
        records.Clock = clock;
        if (FlowPin is FlowPinResult.Pinned)
        {
            ResumeFlows();
        }

        program.Attach(cgroupRoot);
        AttachedCgroup = cgroupRoot;
        thread = new Thread(Run) { IsBackground = true, Name = "ebpf-source" };
        thread.Start();
    }

    /// <summary>How long <see cref="Stop"/> waits for the reading thread's last drain and poll.</summary>
    public TimeSpan StopWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After <see cref="Stop"/>: true when the reading thread was still in a
    /// poll when <see cref="StopWait"/> ran out (a host too loaded for the
    /// flows it has). The programs were detached all the same; the thread,
    /// which may still read the maps and write the table, is left to finish
    /// or to end with the process, and <see cref="Dispose"/> frees nothing it
    /// uses while it runs.
    /// </summary>
    public bool StopLeftThreadRunning => leftRunning is not null;

    /// <summary>
    /// Stops reading after one last drain and poll, then detaches the
    /// programs; a poll that outlasts <see cref="StopWait"/> is not waited for.
    /// </summary>
    public void Stop()
    {
        stopping = true;
        if (thread is not null && !thread.Join(StopWait))
        {
            leftRunning = thread;
        }

        thread = null;
        // the links only: a thread left running uses the maps, never them
        Detach();

        if (denySet is not null && !StopLeftThreadRunning)
        {
            // an isolated container stays isolated while the sensor restarts: keep the pins then
            denySet.Dispose();
            denySet = null;
            IsolationPinsKept = program.UnpinIsolationIfEmpty() != true;
        }
    }

    /// <summary>Once started: whether reading the maps needs CAP_BPF on this kernel, so dropping it would blind the source.</summary>
    public bool MapReadsNeedCapability() => program.MapsNeedBpfCapability();

    /// <summary>Reads the kernel map into the table now (tests use it after their traffic ends).</summary>
    public void PollNow()
    {
        if (thread is not null)
        {
            throw new InvalidOperationException("the source's own thread is polling");
        }

        DrainRing();
        Poll();
    }

    public EbpfSourceHealth Health()
    {
        FlowTableCounters flows = table.Counters;
        DispatchCounters records = dispatcher.Counters;
        return new EbpfSourceHealth(
            kernelCounters[(int)KernelCounter.RingBufferFull],
            kernelCounters[(int)KernelCounter.FlowUpdateFailed],
            flows.Evicted,
            flows.Restarted,
            records.Skipped,
            ring?.Corrupt ?? 0,
            records.HandlerFailed,
            kernelCounters[(int)KernelCounter.Unparsed],
            kernelCounters[(int)KernelCounter.Fragments],
            kernelCounters[(int)KernelCounter.FlowsCreated],
            records.Dispatched,
            flows.Active,
            (ulong)Volatile.Read(ref mapEntries),
            TimeSpan.FromTicks(Volatile.Read(ref lastPollTicks)).TotalSeconds,
            TimeSpan.FromTicks(Volatile.Read(ref maxPollTicks)).TotalSeconds,
            (ulong)Volatile.Read(ref polls));
    }

    /// <summary>The object's BTF: its size for a struct (tests check the C# mirrors against it).</summary>
    internal EbpfProgram Program => program;

    public void Dispose()
    {
        try
        {
            Stop();
        }
        finally
        {
            if (leftRunning is not { IsAlive: true })
            {
                denySet?.Dispose();
                program.Dispose();
            }
        }
    }

    private void Run()
    {
        long interval = options.PollIntervalMilliseconds * (long)TimeSpan.TicksPerMillisecond;
        long nextPoll = DateTime.UtcNow.Ticks + interval;
        try
        {
            while (!stopping)
            {
                int waitMs = (int)Math.Clamp((nextPoll - DateTime.UtcNow.Ticks) / TimeSpan.TicksPerMillisecond, 0, MaxWaitMs);
                program.WaitForRecords(waitMs);
                DrainRing();
                if (DateTime.UtcNow.Ticks >= nextPoll)
                {
                    Poll();
                    nextPoll = DateTime.UtcNow.Ticks + interval;
                }
            }

            // detached first, so the last look sees every packet counted: with a pinned map,
            // the next sensor resumes each flow from exactly what this one reported
            Detach();
            Poll();
        }
#pragma warning disable CA1031 // the thread must record its failure for the host, not die silently
        catch (Exception error)
#pragma warning restore CA1031
        {
            failure = error;
        }
    }

    private void DrainRing() => ring?.Drain(dispatcher);

    /// <summary>Once, from whichever comes first: the reading thread before its last poll, or a stop that stopped waiting for it.</summary>
    private void Detach()
    {
        lock (detachLock)
        {
            if (AttachedCgroup is not null)
            {
                program.Detach();
                AttachedCgroup = null;
            }
        }
    }

    /// <summary>Before attaching: the pinned map's flows, as the sensor before this one left them.</summary>
    private void ResumeFlows()
    {
        int count = program.ReadFlows(keys, values);
        for (int i = 0; i < count; i++)
        {
            table.Resume(RecordConversions.ToSample(keys[i], values[i], clock));
        }

        ResumedFlows = count;
    }

    /// <summary>One read of the kernel's flows, the table's update and the detections; timed, as its length is how far alerts lag.</summary>
    private void Poll()
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        program.FlushSockets();
        DrainRing(); // the flow-open records of flows the flush created again, before their counts
        int count = program.ReadFlows(keys, values);
        Volatile.Write(ref mapEntries, count);
        table.BeginPoll();
        for (int i = 0; i < count; i++)
        {
            if (i + PrefetchDistance < count)
            {
                table.Prefetch(RecordConversions.ToFlowKey(keys[i + PrefetchDistance]));
            }

            table.Observe(RecordConversions.ToSample(keys[i], values[i], clock));
        }

        long now = clock.ToUnixNs(EbpfProgram.MonotonicNow());
        expired.Clear();
        table.EndPoll(now, options.EffectiveIdleTimeoutSeconds * UnixTime.NanosecondsPerSecond, expired);
        DeleteExpired();
        program.ReadCounters(kernelCounters);
        PollIsolation();
        afterPoll?.Invoke(now);
        long took = System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks;
        Volatile.Write(ref lastPollTicks, took);
        if (took > maxPollTicks)
        {
            Volatile.Write(ref maxPollTicks, took);
        }

        Interlocked.Increment(ref polls);
    }

    /// <summary>Reads the deny set (a handful of entries, one batch call), reports changes, prunes removed cgroups once a second.</summary>
    private void PollIsolation()
    {
        if (denySet is null || isolation is null)
        {
            return;
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        denySet.Read(isolationEntries);
        isolation.Observe(isolationEntries, now, isolationFound);
        if (isolation.Count > 0 && now.UtcDateTime >= nextPrune)
        {
            nextPrune = now.UtcDateTime + PruneInterval;
            isolation.FindRemoved(isolationRemoved);
            foreach (ulong cgroupId in isolationRemoved)
            {
                Prune(cgroupId, now);
            }
        }

        foreach (IsolationChange change in isolationFound)
        {
            isolationChanges?.Invoke(change);
        }

        isolationFound.Clear();
    }

    /// <summary>Housekeeping, so a failure (the pin lock held too long by a stuck command) waits for the next try.</summary>
    private void Prune(ulong cgroupId, DateTimeOffset now)
    {
        try
        {
            if (denySet!.Remove(cgroupId) is IsolationEntry last && isolation!.Pruned(cgroupId, last, now) is IsolationChange pruned)
            {
                isolationFound.Add(pruned);
            }
        }
        catch (SensorException)
        {
            // the entry stays; it is tried again a second later
        }
    }

    private static string RelativeOrRoot(string root, string absolute) =>
        absolute.Length == root.Length ? "/" : absolute[root.Length..];

    /// <summary>By id where allowed; else by the path it had, whose inode must still be the id.</summary>
    private static bool? CgroupExists(string root, ulong id, string? path)
    {
        if (CgroupHandle.Exists(root, id) is bool known)
        {
            return known;
        }

        return path is null ? null : FileInode.Of(root + path) == id;
    }

    /// <summary>
    /// Takes idle flows out of the kernel's map in one step each, folds in
    /// their last counters (a packet may have come since the read), and
    /// forgets them. Idle flows may be more than the map holds (evicted ones
    /// too), so in chunks.
    /// </summary>
    private void DeleteExpired()
    {
        for (int start = 0; start < expired.Count; start += DeleteChunk)
        {
            int n = Math.Min(DeleteChunk, expired.Count - start);
            for (int i = 0; i < n; i++)
            {
                expiredKeys[i] = RecordConversions.ToRecord(expired[start + i]);
            }

            program.TakeFlows(expiredKeys.AsSpan(0, n), expiredValues.AsSpan(0, n), expiredFound.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                if (expiredFound[i] != 0)
                {
                    table.Observe(RecordConversions.ToSample(expiredKeys[i], expiredValues[i], clock));
                }

                table.Expire(expired[start + i]);
            }
        }
    }
}
