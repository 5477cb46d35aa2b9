namespace OneWaySensor.Linux.Isolation;

/// <summary>
/// Turns successive reads of the deny set into changes: an entry that
/// appears was isolated (or, on the first read, was isolated before the
/// sensor started), one that disappears was released. Cgroups that are
/// gone are pruned: the sensor removes their entries, since a removed
/// cgroup's id never comes back, and the set should not keep the pins alive
/// for nothing. Allocates only when something changes.
/// </summary>
public sealed class IsolationTracker
{
    private readonly Dictionary<ulong, Known> known = [];
    private readonly Func<ulong, string?> pathOf;
    private readonly Func<ulong, string?, bool?> exists;
    private bool firstRead = true;
    private long generation;

    /// <param name="pathOf">Names a cgroup id (its path below the v2 root), null when it cannot.</param>
    /// <param name="exists">Whether a cgroup (id, path when known) still exists; null when it cannot tell.</param>
    public IsolationTracker(Func<ulong, string?> pathOf, Func<ulong, string?, bool?> exists)
    {
        ArgumentNullException.ThrowIfNull(pathOf);
        ArgumentNullException.ThrowIfNull(exists);
        this.pathOf = pathOf;
        this.exists = exists;
    }

    /// <summary>How many cgroups the last read held.</summary>
    public int Count => known.Count;

    /// <summary>Adds to <paramref name="changes"/> what differs from the previous read.</summary>
    public void Observe(List<IsolationEntry> entries, DateTimeOffset now, List<IsolationChange> changes)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(changes);
        generation++;
        foreach (IsolationEntry entry in entries)
        {
            if (known.TryGetValue(entry.CgroupId, out Known? seen))
            {
                seen.Entry = entry;
                seen.Generation = generation;
                continue;
            }

            string? path = pathOf(entry.CgroupId);
            known[entry.CgroupId] = new Known(entry, path, generation);
            changes.Add(Change(IsolationAction.Isolate, firstRead ? IsolationReason.PresentAtStart : IsolationReason.Requested, entry, path, now));
        }

        foreach ((ulong id, Known seen) in known)
        {
            if (seen.Generation != generation)
            {
                known.Remove(id);
                changes.Add(Change(IsolationAction.Release, IsolationReason.Requested, seen.Entry, seen.Path, now));
            }
        }

        firstRead = false;
    }

    /// <summary>The ids of cgroups that are known to be gone: the caller removes their entries and reports <see cref="Pruned"/>.</summary>
    public void FindRemoved(List<ulong> removed)
    {
        ArgumentNullException.ThrowIfNull(removed);
        removed.Clear();
        foreach ((ulong id, Known seen) in known)
        {
            if (exists(id, seen.Path) == false)
            {
                removed.Add(id);
            }
        }
    }

    /// <summary>The caller removed a gone cgroup's entry; <paramref name="last"/> is what it held then, if it still did.</summary>
    public IsolationChange? Pruned(ulong cgroupId, IsolationEntry? last, DateTimeOffset now)
    {
        if (!known.Remove(cgroupId, out Known? seen))
        {
            return null;
        }

        return Change(IsolationAction.Release, IsolationReason.CgroupRemoved, last ?? seen.Entry, seen.Path, now);
    }

    private static IsolationChange Change(IsolationAction action, IsolationReason reason, IsolationEntry entry, string? path, DateTimeOffset now) =>
        new(action, reason, entry.CgroupId, path, now, entry.IsolatedSince, entry.EgressDropped, entry.IngressDropped);

    private sealed class Known(IsolationEntry entry, string? path, long generation)
    {
        public IsolationEntry Entry { get; set; } = entry;

        public string? Path { get; } = path;

        public long Generation { get; set; } = generation;
    }
}
