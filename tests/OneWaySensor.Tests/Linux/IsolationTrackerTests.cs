using OneWaySensor.Linux.Isolation;

namespace OneWaySensor.Tests.Linux;

/// <summary>Reads of the deny set into changes for the output stream, and the pruning of gone cgroups.</summary>
public sealed class IsolationTrackerTests
{
    private static readonly DateTimeOffset Since = new(2026, 11, 27, 22, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = Since.AddMinutes(5);
    private readonly HashSet<ulong> gone = [];
    private readonly IsolationTracker tracker;

    public IsolationTrackerTests()
    {
        tracker = new IsolationTracker(id => $"/docker/c{id}", (id, _) => !gone.Contains(id));
    }

    [Fact]
    public void The_first_read_reports_what_was_isolated_before_the_start()
    {
        List<IsolationChange> changes = Observe(Entry(7, 1, 2));

        IsolationChange change = Assert.Single(changes);
        Assert.Equal(new IsolationChange(IsolationAction.Isolate, IsolationReason.PresentAtStart, 7, "/docker/c7", Now, Since, 1, 2), change);
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void Later_entries_are_isolations_and_missing_ones_releases_with_their_last_counts()
    {
        Assert.Empty(Observe());
        IsolationChange isolated = Assert.Single(Observe(Entry(7, 0, 0)));
        Assert.Equal((IsolationAction.Isolate, IsolationReason.Requested), (isolated.Action, isolated.Reason));

        Assert.Empty(Observe(Entry(7, 5, 3))); // counts change: no change to report
        IsolationChange released = Assert.Single(Observe());
        Assert.Equal(new IsolationChange(IsolationAction.Release, IsolationReason.Requested, 7, "/docker/c7", Now, Since, 5, 3), released);
        Assert.Equal(0, tracker.Count);
    }

    [Fact]
    public void Only_differences_are_reported_when_several_change_at_once()
    {
        Observe(Entry(1, 0, 0), Entry(2, 0, 0));
        List<IsolationChange> changes = Observe(Entry(2, 0, 0), Entry(3, 0, 0));

        Assert.Equal(2, changes.Count);
        Assert.Contains(changes, c => c is { CgroupId: 3, Action: IsolationAction.Isolate, Reason: IsolationReason.Requested });
        Assert.Contains(changes, c => c is { CgroupId: 1, Action: IsolationAction.Release });
    }

    [Fact]
    public void Gone_cgroups_are_found_and_pruned_once()
    {
        Observe(Entry(1, 0, 0), Entry(2, 0, 0));
        gone.Add(2);
        var removed = new List<ulong>();
        tracker.FindRemoved(removed);
        Assert.Equal([2ul], removed);

        IsolationChange? pruned = tracker.Pruned(2, Entry(2, 9, 4), Now);
        Assert.Equal(new IsolationChange(IsolationAction.Release, IsolationReason.CgroupRemoved, 2, "/docker/c2", Now, Since, 9, 4), pruned);
        Assert.Null(tracker.Pruned(2, null, Now));
        Assert.Empty(Observe(Entry(1, 0, 0))); // already reported: the next read does not release it again
    }

    [Fact]
    public void A_cgroup_whose_existence_cannot_be_told_is_kept()
    {
        var unsure = new IsolationTracker(_ => null, (_, _) => null);
        unsure.Observe([Entry(4, 0, 0)], Now, []);
        var removed = new List<ulong>();
        unsure.FindRemoved(removed);
        Assert.Empty(removed);
    }

    private List<IsolationChange> Observe(params IsolationEntry[] entries)
    {
        var changes = new List<IsolationChange>();
        tracker.Observe([.. entries], Now, changes);
        return changes;
    }

    private static IsolationEntry Entry(ulong id, ulong egress, ulong ingress) => new(id, 2, Since, egress, ingress);
}
