using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Baseline;

/// <summary>
/// Writes a model's changed baselines to its store every
/// <see cref="BaselineOptions.SaveIntervalSeconds"/> and once more at
/// shutdown (<see cref="Flush"/>). A failed save is counted, its message kept
/// in <see cref="LastError"/>, and its baselines are retried with the next
/// save: detection goes on meanwhile. Call on the detection thread (the
/// model's); the counters may be read from any thread.
/// </summary>
public sealed class BaselinePersistence
{
    private readonly BaselineModel model;
    private readonly IBaselineStore store;
    private readonly long intervalNs;
    private long nextSaveUnixNs;
    private ulong saves;
    private ulong saveFailures;
    private ulong baselinesSaved;

    public BaselinePersistence(BaselineModel model, IBaselineStore store, long nowUnixNs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(store);
        this.model = model;
        this.store = store;
        intervalNs = model.Options.SaveIntervalSeconds * UnixTime.NanosecondsPerSecond;
        nextSaveUnixNs = nowUnixNs + intervalNs;
    }

    /// <summary>Saves that wrote at least one baseline.</summary>
    public ulong Saves => Interlocked.Read(ref saves);

    public ulong SaveFailures => Interlocked.Read(ref saveFailures);

    /// <summary>Baselines written, summed over saves.</summary>
    public ulong BaselinesSaved => Interlocked.Read(ref baselinesSaved);

    /// <summary>The last failure's one-line message, or null.</summary>
    public string? LastError { get; private set; }

    /// <summary>Saves when the interval has passed and something changed; true when a save succeeded.</summary>
    public bool SaveIfDue(long nowUnixNs)
    {
        if (nowUnixNs < nextSaveUnixNs)
        {
            return false;
        }

        nextSaveUnixNs = nowUnixNs + intervalNs;
        return Save();
    }

    /// <summary>Saves whatever changed, now (at shutdown, once the detection thread has stopped).</summary>
    public bool Flush() => Save();

    private bool Save()
    {
        if (!model.HasChanges)
        {
            return false;
        }

        IReadOnlyCollection<ImageBaseline> changed = model.TakeChanged();
        try
        {
            store.Save(changed);
        }
        catch (BaselineStoreException error)
        {
            model.MarkUnsaved(changed);
            LastError = error.Message;
            Interlocked.Increment(ref saveFailures);
            return false;
        }

        Interlocked.Increment(ref saves);
        Interlocked.Add(ref baselinesSaved, (ulong)changed.Count);
        return true;
    }
}
