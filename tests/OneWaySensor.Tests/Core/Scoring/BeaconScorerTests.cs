using OneWaySensor.Detection.Scoring;
using Xunit.Abstractions;
using static OneWaySensor.Tests.Core.Scoring.ContactPatterns;

namespace OneWaySensor.Tests.Core.Scoring;

public sealed class BeaconScorerTests(ITestOutputHelper output)
{
    private static readonly BeaconScorer Scorer = new();

    /// <summary>The window 30 contacts of a 10 s beacon fill: 300 s from the first.</summary>
    private const double Window = 300;

    private BeaconScore ScoreOf(long[] times, ulong[]? sizes = null, double window = Window)
    {
        sizes ??= Sizes(times.Length, 310);
        long end = Math.Max(At(window), times[^1]);
        BeaconScore score = Scorer.Score(times, sizes, Start, end);
        output.WriteLine(
            $"score {score.Score:0.000} ts {score.TimestampScore:0.000} size {score.SizeScore:0.000} coverage {score.CoverageScore:0.000} " +
            $"interval {score.IntervalSeconds:0.###} s mad {score.IntervalMadSeconds:0.###} s skew {score.IntervalSkew:0.###} contacts {score.Contacts}");
        return score;
    }

    [Fact]
    public void A_strict_beacon_scores_one()
    {
        BeaconScore score = ScoreOf(Strict(30, 10));

        Assert.Equal(1.0, score.TimestampScore);
        Assert.Equal(1.0, score.CoverageScore);
        Assert.InRange(score.SizeScore, 0.998, 1.0);
        Assert.InRange(score.Score, 0.999, 1.0);
        Assert.Equal(10.0, score.IntervalSeconds);
        Assert.Equal(0.0, score.IntervalMadSeconds);
        Assert.Equal(0.0, score.IntervalSkew);
        Assert.Equal(30, score.Contacts);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_beacon_with_jittered_sleep_scores_high(int seed)
    {
        BeaconScore score = ScoreOf(JitteredSleep(30, 10, 1, seed));

        Assert.InRange(score.Score, 0.8, 1.0);
        Assert.InRange(score.IntervalSeconds, 9.5, 10.5);
        Assert.InRange(score.IntervalMadSeconds, 0.1, 1.0);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_beacon_jittered_about_a_fixed_schedule_scores_high(int seed)
    {
        BeaconScore score = ScoreOf(JitteredGrid(30, 10, 1, seed));

        Assert.InRange(score.Score, 0.8, 1.0);
        Assert.InRange(score.IntervalSeconds, 9.5, 10.5);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_jittered_beacon_with_varying_sizes_still_scores_high(int seed)
    {
        BeaconScore score = ScoreOf(JitteredSleep(30, 10, 1, seed), RandomSizes(30, 200, 2000, seed));

        Assert.InRange(score.Score, 0.8, 1.0);
        Assert.True(score.SizeScore < 0.95, $"size score {score.SizeScore}");
    }

    public static TheoryData<string, int> NearMisses()
    {
        var data = new TheoryData<string, int>();
        foreach (string pattern in new[] { "poisson", "uniform gaps", "one burst", "periodic bursts", "clustered" })
        {
            foreach (int seed in new[] { 1, 2, 3, 4, 5, 6, 7, 8 })
            {
                data.Add(pattern, seed);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NearMisses))]
    public void Near_misses_score_low(string pattern, int seed)
    {
        long[] times = pattern switch
        {
            // event-driven traffic at the beacon's mean rate
            "poisson" => Poisson(30, 10, seed),

            // symmetric (no skew) yet aperiodic
            "uniform gaps" => UniformGaps(30, 10, seed),

            // 30 contacts within 3 s, then silence for the rest of the window
            "one burst" => Burst(30, 0.1),

            // 5 connections 0.2 s apart every 60 s: the median gap is the short one
            "periodic bursts" => PeriodicBursts(6, 5, 60, 0.2),

            // a few contacts at a time, the groups at random: a person browsing
            "clustered" => Clustered(30, 40, seed),
            _ => throw new ArgumentException(pattern, nameof(pattern)),
        };

        BeaconScore score = ScoreOf(times);

        Assert.InRange(score.Score, 0.0, 0.6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Fewer_contacts_than_the_minimum_score_zero(int contacts)
    {
        long[] times = Strict(contacts, 10);

        BeaconScore score = Scorer.Score(times, Sizes(contacts, 100), Start, At(Window));

        Assert.Equal(BeaconScore.TooFew(contacts), score);
    }

    [Fact]
    public void The_minimum_is_a_parameter()
    {
        var strict = new BeaconScorer { MinimumContacts = 10 };

        Assert.Equal(0.0, strict.Score(Strict(9, 10), Sizes(9, 100), Start, At(90)).Score);
        Assert.InRange(strict.Score(Strict(10, 10), Sizes(10, 100), Start, At(100)).Score, 0.99, 1.0);
        Assert.InRange(Scorer.Score(Strict(4, 10), Sizes(4, 100), Start, At(40)).Score, 0.99, 1.0);
    }

    [Fact]
    public void Simultaneous_contacts_count_once_toward_the_minimum()
    {
        // 6 contacts at 3 distinct times: two intervals
        long[] times = [At(0), At(0), At(10), At(10), At(20), At(20)];

        Assert.Equal(0.0, Scorer.Score(times, Sizes(6, 100), Start, At(30)).Score);

        // 8 contacts at 4 distinct times score as the 4-contact beacon they are
        long[] doubled = [At(0), At(0), At(10), At(10), At(20), At(20), At(30), At(30)];
        BeaconScore score = Scorer.Score(doubled, Sizes(8, 100), Start, At(40));
        Assert.InRange(score.Score, 0.99, 1.0);
        Assert.Equal(10.0, score.IntervalSeconds);
        Assert.Equal(8, score.Contacts);
    }

    [Fact]
    public void Empty_contacts_are_perfectly_regular_in_size()
    {
        BeaconScore score = ScoreOf(Strict(30, 10), Sizes(30, 0));

        Assert.Equal(1.0, score.SizeScore);
    }

    [Fact]
    public void Large_contacts_score_lower_in_size_than_small_ones()
    {
        BeaconScore small = ScoreOf(Strict(30, 10), Sizes(30, 200));
        BeaconScore large = ScoreOf(Strict(30, 10), Sizes(30, 1_000_000));

        Assert.InRange(large.SizeScore, 0.66, 0.67); // symmetric and tight, not small
        Assert.True(large.Score < small.Score);
        Assert.InRange(large.Score, 0.9, 1.0); // a beacon that uploads a lot is still a beacon
    }

    [Fact]
    public void Skewed_sizes_score_lower_than_symmetric_ones()
    {
        ulong[] symmetric = RandomSizes(30, 900, 1100, 1);
        var random = new Random(1);
        ulong[] skewed = Enumerable.Range(0, 30).Select(_ => 1000ul + (ulong)(-Math.Log(1 - random.NextDouble()) * 500)).ToArray();

        BeaconScore a = ScoreOf(Strict(30, 10), symmetric);
        BeaconScore b = ScoreOf(Strict(30, 10), skewed);

        Assert.True(b.SizeScore < a.SizeScore, $"{b.SizeScore} vs {a.SizeScore}");
        Assert.InRange(a.SizeScore, 0.95, 1.0);
    }

    [Fact]
    public void A_wider_window_than_the_contacts_lowers_coverage()
    {
        long[] times = Strict(30, 10);

        BeaconScore full = ScoreOf(times, window: 300);
        BeaconScore half = ScoreOf(times, window: 600);

        Assert.Equal(1.0, full.CoverageScore);
        Assert.Equal(0.5, half.CoverageScore, 9);
        Assert.InRange(half.Score, 0.8, 0.9); // a beacon that started mid-window is still one
    }

    [Fact]
    public void Missed_contacts_cost_a_little()
    {
        // every fifth check-in lost: gaps of 10 s and some of 20 s
        long[] times = Strict(40, 10).Where((_, i) => i % 5 != 4).ToArray();

        BeaconScore score = ScoreOf(times, window: 400);

        Assert.Equal(10.0, score.IntervalSeconds);
        Assert.InRange(score.CoverageScore, 0.75, 0.85);
        Assert.InRange(score.Score, 0.8, 1.0);
    }

    [Fact]
    public void Heavy_jitter_lowers_the_score_gradually()
    {
        double previous = 1.1;
        foreach (double jitter in new[] { 0.0, 1.0, 2.0, 3.0, 5.0, 8.0 })
        {
            double mean = Enumerable.Range(1, 8).Average(seed => ScoreOf(JitteredSleep(30, 10, jitter, seed)).Score);
            output.WriteLine($"jitter ±{jitter} s: mean score {mean:0.000}");
            Assert.True(mean < previous, $"jitter {jitter}: {mean} not below {previous}");
            previous = mean;
        }
    }

    [Fact]
    public void Scores_stay_within_zero_and_one()
    {
        var random = new Random(42);
        for (int round = 0; round < 200; round++)
        {
            int n = random.Next(4, 300);
            long[] times = Enumerable.Range(0, n).Select(_ => At(random.NextDouble() * 1000)).Order().ToArray();
            ulong[] sizes = Enumerable.Range(0, n).Select(_ => (ulong)random.NextInt64(0, 100_000)).ToArray();
            long end = Math.Max(times[^1], At(1000));

            BeaconScore score = Scorer.Score(times, sizes, Start, end);

            foreach (double value in new[] { score.Score, score.TimestampScore, score.SizeScore, score.CoverageScore })
            {
                Assert.InRange(value, 0.0, 1.0);
            }

            Assert.InRange(score.IntervalSkew, -1.0, 1.0);
        }
    }

    [Fact]
    public void Weights_choose_what_counts()
    {
        long[] burst = Burst(30, 0.1);
        var timingOnly = new BeaconScorer { SizeWeight = 0, CoverageWeight = 0 };

        Assert.InRange(timingOnly.Score(burst, Sizes(30, 100), Start, At(Window)).Score, 0.99, 1.0);
        Assert.Throws<InvalidOperationException>(() =>
            new BeaconScorer { TimestampWeight = 0, SizeWeight = 0, CoverageWeight = 0 }.Score(burst, Sizes(30, 100), Start, At(Window)));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        long[] times = Strict(10, 10);
        ulong[] sizes = Sizes(10, 100);

        Assert.Throws<ArgumentException>(() => Scorer.Score(times, sizes.AsSpan(1), Start, At(100)));
        Assert.Throws<ArgumentException>(() => Scorer.Score(times.Reverse().ToArray(), sizes, Start, At(100)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Scorer.Score(times, sizes, At(100), Start));
        Assert.Throws<ArgumentException>(() => Scorer.Score(times, sizes, Start, At(100), new double[9]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BeaconScorer { MinimumContacts = 2 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BeaconScorer { IntervalMadTolerance = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BeaconScorer { SizeWeight = -1 });
    }

    [Fact]
    public void Scoring_allocates_nothing()
    {
        long[] common = JitteredSleep(64, 10, 1, 1);
        ulong[] commonSizes = RandomSizes(64, 100, 200, 1);
        long[] large = JitteredSleep(1000, 10, 1, 1);
        ulong[] largeSizes = RandomSizes(1000, 100, 200, 1);
        double[] scratch = new double[64];

        // warm up: JIT, and the pool's first rent of a large buffer
        Scorer.Score(common, commonSizes, Start, At(640));
        Scorer.Score(common, commonSizes, Start, At(640), scratch);
        Scorer.Score(large, largeSizes, Start, At(10_000));

        long before = GC.GetAllocatedBytesForCurrentThread();
        BeaconScore onStack = Scorer.Score(common, commonSizes, Start, At(640));
        BeaconScore inScratch = Scorer.Score(common, commonSizes, Start, At(640), scratch);
        BeaconScore pooled = Scorer.Score(large, largeSizes, Start, At(10_000));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(onStack, inScratch);
        Assert.InRange(pooled.Score, 0.8, 1.0);
    }

    public static TheoryData<int> Seeds() => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
}
