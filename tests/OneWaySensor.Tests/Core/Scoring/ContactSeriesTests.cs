using OneWaySensor.Detection.Scoring;
using static OneWaySensor.Tests.Core.Scoring.ContactPatterns;

namespace OneWaySensor.Tests.Core.Scoring;

public sealed class ContactSeriesTests
{
    private static (long[] Times, ulong[] Sizes) Contents(ContactSeries series)
    {
        var times = new long[series.Count];
        var sizes = new ulong[series.Count];
        Assert.Equal(series.Count, series.CopyTo(times, sizes));
        return (times, sizes);
    }

    [Fact]
    public void Contacts_are_kept_in_order()
    {
        var series = new ContactSeries();

        series.AddContact(At(0), 10);
        series.AddContact(At(10), 20);
        series.AddContact(At(20), 30);

        Assert.Equal(64, series.Capacity);
        Assert.Equal(3, series.Count);
        Assert.Equal(0ul, series.Dropped);
        (long[] times, ulong[] sizes) = Contents(series);
        Assert.Equal([At(0), At(10), At(20)], times);
        Assert.Equal([10ul, 20ul, 30ul], sizes);
        Assert.Equal(At(10), series.TimeAt(1));
        Assert.Equal(30ul, series.SizeAt(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => series.TimeAt(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => series.TimeAt(-1));
    }

    [Fact]
    public void A_full_series_keeps_the_newest_contacts()
    {
        var series = new ContactSeries(capacity: 4);

        for (int i = 0; i < 10; i++)
        {
            series.AddContact(At(i), (ulong)i);
        }

        Assert.Equal(4, series.Count);
        Assert.Equal(6ul, series.Dropped);
        (long[] times, ulong[] sizes) = Contents(series);
        Assert.Equal([At(6), At(7), At(8), At(9)], times);
        Assert.Equal([6ul, 7ul, 8ul, 9ul], sizes);
    }

    [Fact]
    public void A_late_contact_slides_into_place()
    {
        var series = new ContactSeries(capacity: 4);
        series.AddContact(At(0), 0);
        series.AddContact(At(20), 20);
        series.AddContact(At(30), 30);
        series.AddContact(At(10), 10);

        Assert.Equal([At(0), At(10), At(20), At(30)], Contents(series).Times);
        Assert.Equal([0ul, 10ul, 20ul, 30ul], Contents(series).Sizes);

        // full: a late one still newer than the oldest pushes the oldest out
        series.AddContact(At(15), 15);
        Assert.Equal([At(10), At(15), At(20), At(30)], Contents(series).Times);

        // full: one older than everything held is the one dropped
        series.AddContact(At(5), 5);
        Assert.Equal([At(10), At(15), At(20), At(30)], Contents(series).Times);
        Assert.Equal(2ul, series.Dropped);
    }

    [Fact]
    public void The_ring_wraps_with_late_contacts()
    {
        var series = new ContactSeries(capacity: 3);
        var expected = new List<long>();
        var random = new Random(3);
        long t = At(0);
        for (int i = 0; i < 50; i++)
        {
            // mostly forward, sometimes a little back
            t += random.Next(-2, 10) * Second;
            series.AddContact(t, (ulong)i);
            expected.Add(t);
        }

        long[] times = Contents(series).Times;
        Assert.Equal(times.Order(), times);
        Assert.Equal(expected.Order().TakeLast(3), times);
    }

    [Fact]
    public void Bytes_after_silence_start_a_contact_and_later_bytes_add_to_it()
    {
        var series = new ContactSeries();
        long silence = 5 * Second;

        // one poll a second; bursts at 0..2 s and 10..11 s, empty polls between
        Assert.True(series.ObserveActivity(At(0), 100, silence));
        Assert.False(series.ObserveActivity(At(1), 50, silence));
        Assert.False(series.ObserveActivity(At(2), 25, silence));
        for (int s = 3; s < 10; s++)
        {
            Assert.False(series.ObserveActivity(At(s), 0, silence));
        }

        Assert.True(series.ObserveActivity(At(10), 7, silence));
        Assert.False(series.ObserveActivity(At(11), 3, silence));

        (long[] times, ulong[] sizes) = Contents(series);
        Assert.Equal([At(0), At(10)], times);
        Assert.Equal([175ul, 10ul], sizes);
        Assert.Equal(At(11), series.LastActivityNs);
    }

    [Fact]
    public void Silence_is_measured_from_the_last_bytes()
    {
        var series = new ContactSeries();
        long silence = 5 * Second;

        series.ObserveActivity(At(0), 1, silence);
        series.ObserveActivity(At(4), 1, silence); // 4 s: same burst
        series.ObserveActivity(At(8), 1, silence); // 4 s after the last bytes: still the same burst
        Assert.True(series.ObserveActivity(At(13), 1, silence)); // exactly the silence: a new contact

        (long[] times, ulong[] sizes) = Contents(series);
        Assert.Equal([At(0), At(13)], times);
        Assert.Equal([3ul, 1ul], sizes);
    }

    [Fact]
    public void A_burst_size_saturates_rather_than_wrapping()
    {
        var series = new ContactSeries();

        series.ObserveActivity(At(0), ulong.MaxValue - 1, Second);
        series.ObserveActivity(At(0.5), 10, Second);

        Assert.Equal(ulong.MaxValue, series.SizeAt(0));
    }

    [Fact]
    public void Adding_allocates_nothing_once_grown_to_capacity()
    {
        // the arrays double up to the capacity (a few times in a series' life), then never again
        var series = new ContactSeries();
        for (int i = 0; i < series.Capacity; i++)
        {
            series.AddContact(At(i - series.Capacity), 1);
        }

        series.ObserveActivity(At(0), 1, Second);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            series.AddContact(At(i), 1);
            series.ObserveActivity(At(i), 1, Second);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Coverage_starts_at_the_watch_until_contacts_are_dropped()
    {
        var series = new ContactSeries(capacity: 4);
        Assert.Equal(At(-100), series.CoverageStartNs(At(-100)));

        for (int i = 0; i < 4; i++)
        {
            series.AddContact(At(i * 10), 1);
        }

        Assert.Equal(At(-100), series.CoverageStartNs(At(-100)));

        series.AddContact(At(40), 1);
        Assert.Equal(At(10), series.CoverageStartNs(At(-100)));
        Assert.Equal(At(20), series.CoverageStartNs(At(20)));
    }

    [Fact]
    public void A_series_of_connections_to_a_beacon_scores_high_even_past_its_capacity()
    {
        var series = new ContactSeries();
        var scorer = new BeaconScorer();
        long[] times = JitteredSleep(200, 10, 1, 7);
        foreach (long t in times)
        {
            series.AddContact(t, 310);
        }

        // watched from the first contact; the ring holds only the last 64, and coverage starts at them
        BeaconScore score = series.Score(scorer, times[0], times[^1] + (10 * Second));

        Assert.Equal(64, score.Contacts);
        Assert.InRange(score.Score, 0.8, 1.0);
        Assert.InRange(score.IntervalSeconds, 9.5, 10.5);
    }

    [Fact]
    public void A_beacon_inside_one_long_lived_flow_scores_high()
    {
        // polled once a second for 10 min; every 30 ± 3 s the implant writes for 1 to 3 s
        var series = new ContactSeries();
        var scorer = new BeaconScorer();
        var random = new Random(11);
        long silence = 5 * Second;
        var writes = new HashSet<int>();
        for (double t = 5; t < 600; t += 30 + ((random.NextDouble() * 6) - 3))
        {
            int from = (int)Math.Ceiling(t);
            int length = random.Next(1, 4);
            for (int s = from; s < from + length; s++)
            {
                writes.Add(s);
            }
        }

        for (int s = 0; s < 600; s++)
        {
            series.ObserveActivity(At(s), writes.Contains(s) ? (ulong)random.Next(100, 140) : 0, silence);
        }

        BeaconScore score = series.Score(scorer, At(0), At(600));

        Assert.InRange(score.Contacts, 19, 21);
        Assert.InRange(score.IntervalSeconds, 27, 33);
        Assert.InRange(score.Score, 0.8, 1.0);
    }

    [Fact]
    public void Steady_streaming_is_one_contact_and_not_a_beacon()
    {
        var series = new ContactSeries();
        for (int s = 0; s < 600; s++)
        {
            series.ObserveActivity(At(s), 1000, 5 * Second);
        }

        Assert.Equal(1, series.Count);
        Assert.Equal(600_000ul, series.SizeAt(0));
        Assert.Equal(0.0, series.Score(new BeaconScorer(), At(0), At(600)).Score);
    }

    [Fact]
    public void Scoring_a_series_allocates_nothing()
    {
        var series = new ContactSeries();
        var scorer = new BeaconScorer();
        foreach (long t in JitteredSleep(64, 10, 1, 2))
        {
            series.AddContact(t, 200);
        }

        series.Score(scorer, At(0), At(640));
        long before = GC.GetAllocatedBytesForCurrentThread();
        BeaconScore score = series.Score(scorer, At(0), At(640));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(score.Score > 0.8);
    }

    [Fact]
    public void Clear_forgets_everything()
    {
        var series = new ContactSeries(capacity: 2);
        series.ObserveActivity(At(0), 1, Second);
        series.AddContact(At(1), 1);
        series.AddContact(At(2), 1);

        series.Clear();

        Assert.Equal(0, series.Count);
        Assert.Equal(0ul, series.Dropped);
        Assert.True(series.ObserveActivity(At(2.5), 1, Second));
        Assert.Equal(At(2.5), series.TimeAt(0));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContactSeries(0));

        var series = new ContactSeries();
        series.AddContact(At(0), 1);
        series.AddContact(At(1), 1);
        Assert.Throws<ArgumentException>(() => series.CopyTo(new long[1], new ulong[2]));
        Assert.Throws<ArgumentException>(() => series.CopyTo(new long[2], new ulong[1]));
        Assert.Throws<ArgumentNullException>(() => series.Score(null!, At(0), At(1)));
    }

    [Fact]
    public void A_new_series_allocates_no_contact_arrays()
    {
        // the engine keeps two per destination of every tracked flow: 2 KB each up front was most of its memory
        long before = GC.GetAllocatedBytesForCurrentThread();
        var series = new ContactSeries();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, series.Count);
        Assert.True(allocated < 128, $"a new series allocated {allocated} bytes");
    }

    [Fact]
    public void Growing_keeps_every_contact_in_order_up_to_the_capacity_and_then_the_newest()
    {
        var series = new ContactSeries(capacity: 10);
        var expected = new List<long>();
        for (int i = 0; i < 25; i++)
        {
            // every fifth contact arrives a little late and slides back into place
            long time = i % 5 == 4 ? At(i - 1.5) : At(i);
            series.AddContact(time, (ulong)i);
            expected.Add(time);
            expected.Sort();
            if (i < 10)
            {
                Assert.Equal(expected, Contents(series).Times);
            }
        }

        Assert.Equal(10, series.Count);
        Assert.Equal(15ul, series.Dropped);
        Assert.Equal(expected[^10..], Contents(series).Times);
    }
}
