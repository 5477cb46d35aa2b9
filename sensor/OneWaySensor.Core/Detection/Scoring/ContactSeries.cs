using System.Buffers;

namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// The last <see cref="Capacity"/> contacts with one destination (time and
/// bytes), kept in time order in a fixed ring for <see cref="BeaconScorer"/>.
/// The detection engine keeps two per (container, destination), for every
/// destination of every flow it tracks, and most hold one or two contacts
/// (a steady connection is one long contact): so the arrays start empty and
/// double as contacts come, up to the capacity, rather than costing 2 KB a
/// destination from the start. Nothing is allocated per contact once grown.
/// Two ways to feed it, one per series:
/// <list type="bullet">
/// <item><see cref="AddContact"/>: every contact is reported as such, e.g.
/// each new connection is one (a beacon that connects per check-in).</item>
/// <item><see cref="ObserveActivity"/>: per-poll byte counts of traffic that
/// may all ride one long-lived connection; a contact starts where bytes
/// follow silence, and later bytes of the same burst add to its size.</item>
/// </list>
/// Not thread-safe: the engine's poll loop is its only caller.
/// </summary>
public sealed class ContactSeries
{
    public const int DefaultCapacity = 64;

    /// <summary>The first arrays' length: a handful of contacts before the first doubling.</summary>
    private const int InitialLength = 4;

    private long[] times = [];
    private ulong[] sizes = [];

    // logical index i (0 = oldest) lives at (head + i) % times.Length
    private int head;
    private bool burstSeen;

    public ContactSeries(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>The most contacts held; past it the oldest make room.</summary>
    public int Capacity { get; }

    public int Count { get; private set; }

    /// <summary>Contacts pushed out by newer ones, or too old to keep when they arrived: the series no longer holds everything it was told.</summary>
    public ulong Dropped { get; private set; }

    /// <summary>When <see cref="ObserveActivity"/> last saw bytes; meaningless until it has.</summary>
    public long LastActivityNs { get; private set; }

    /// <summary>The time of contact <paramref name="index"/>, 0 being the oldest held.</summary>
    public long TimeAt(int index) => times[Held(index)];

    /// <summary>The bytes of contact <paramref name="index"/>, 0 being the oldest held.</summary>
    public ulong SizeAt(int index) => sizes[Held(index)];

    /// <summary>
    /// Records one contact. Contacts may arrive a little out of order (the
    /// engine learns of several connections per poll, in no set order): one
    /// older than the newest slides back into place. When full, the oldest
    /// contact makes room; a contact older than all held is itself the one
    /// dropped.
    /// </summary>
    public void AddContact(long timeNs, ulong bytes)
    {
        if (Count == Capacity)
        {
            Dropped++;
            if (timeNs < times[head])
            {
                return;
            }

            head = (head + 1) % times.Length;
            Count--;
        }
        else if (Count == times.Length)
        {
            Grow();
        }

        int index = Count;
        while (index > 0 && times[Physical(index - 1)] > timeNs)
        {
            times[Physical(index)] = times[Physical(index - 1)];
            sizes[Physical(index)] = sizes[Physical(index - 1)];
            index--;
        }

        times[Physical(index)] = timeNs;
        sizes[Physical(index)] = bytes;
        Count++;
    }

    /// <summary>
    /// One poll's observation of a long-lived flow: <paramref name="bytes"/>
    /// sent since the last poll, seen at <paramref name="timeNs"/>. Bytes after
    /// at least <paramref name="silenceNs"/> without any start a new contact,
    /// timed at this poll; bytes sooner add to the newest contact's size. A
    /// poll with no bytes changes nothing (silence is the time since the last
    /// bytes, not a count of empty polls). Returns whether a contact started.
    /// Contact times are as fine as the poll period: the jitter that adds is
    /// at most one period, which the scorer's MAD tolerance absorbs for
    /// beacons slower than a few polls. Also useful over connection starts:
    /// fed each new connection, it makes a burst of connections one contact.
    /// </summary>
    public bool ObserveActivity(long timeNs, ulong bytes, long silenceNs)
    {
        if (bytes == 0)
        {
            return false;
        }

        bool starts = !burstSeen || Count == 0 || timeNs - LastActivityNs >= silenceNs;
        if (starts)
        {
            AddContact(timeNs, bytes);
        }
        else
        {
            int newest = Physical(Count - 1);
            sizes[newest] = ulong.MaxValue - sizes[newest] < bytes ? ulong.MaxValue : sizes[newest] + bytes;
        }

        burstSeen = true;
        LastActivityNs = Math.Max(LastActivityNs, timeNs);
        return starts;
    }

    /// <summary>Copies the contacts, oldest first, into spans of at least <see cref="Count"/>; returns the count.</summary>
    public int CopyTo(Span<long> timesNs, Span<ulong> bytes)
    {
        if (timesNs.Length < Count || bytes.Length < Count)
        {
            throw new ArgumentException($"{Count} contacts do not fit in {Math.Min(timesNs.Length, bytes.Length)}");
        }

        for (int i = 0; i < Count; i++)
        {
            int p = Physical(i);
            timesNs[i] = times[p];
            bytes[i] = sizes[p];
        }

        return Count;
    }

    /// <summary>
    /// Where coverage can fairly begin, given when the engine began watching
    /// the destination: the watch start while the series holds every contact,
    /// else its oldest held contact, since the gap before it is unknown.
    /// Scoring from the watch start after drops would read the ring's limit
    /// as the beacon falling silent.
    /// </summary>
    public long CoverageStartNs(long watchStartNs) =>
        Dropped > 0 && Count > 0 ? Math.Max(watchStartNs, times[head]) : watchStartNs;

    /// <summary>
    /// Scores the held contacts as observed from <paramref name="watchStartNs"/>
    /// (through <see cref="CoverageStartNs"/>) to <paramref name="endNs"/>.
    /// Copies into stack space up to <see cref="BeaconScorer.StackScratchLimit"/>
    /// contacts, pooled arrays beyond, so it allocates nothing.
    /// </summary>
    public BeaconScore Score(BeaconScorer scorer, long watchStartNs, long endNs)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        long startNs = Math.Min(CoverageStartNs(watchStartNs), endNs);
        if (Count <= BeaconScorer.StackScratchLimit)
        {
            Span<long> t = stackalloc long[BeaconScorer.StackScratchLimit];
            Span<ulong> s = stackalloc ulong[BeaconScorer.StackScratchLimit];
            int n = CopyTo(t, s);
            return scorer.Score(t[..n], s[..n], startNs, endNs);
        }

        long[] rentedTimes = ArrayPool<long>.Shared.Rent(Count);
        ulong[] rentedSizes = ArrayPool<ulong>.Shared.Rent(Count);
        try
        {
            int n = CopyTo(rentedTimes, rentedSizes);
            return scorer.Score(rentedTimes.AsSpan(0, n), rentedSizes.AsSpan(0, n), startNs, endNs);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(rentedTimes);
            ArrayPool<ulong>.Shared.Return(rentedSizes);
        }
    }

    /// <summary>Forgets every contact and burst.</summary>
    public void Clear()
    {
        head = 0;
        Count = 0;
        Dropped = 0;
        burstSeen = false;
        LastActivityNs = 0;
    }

    private int Physical(int index) => (head + index) % times.Length;

    /// <summary>Doubles the arrays (to at most <see cref="Capacity"/>), oldest contact first again.</summary>
    private void Grow()
    {
        int length = Math.Min(Capacity, Math.Max(InitialLength, times.Length * 2));
        var grownTimes = new long[length];
        var grownSizes = new ulong[length];
        CopyTo(grownTimes, grownSizes);
        times = grownTimes;
        sizes = grownSizes;
        head = 0;
    }

    private int Held(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the series holds {Count} contacts");
        }

        return Physical(index);
    }
}
