using Microsoft.Data.Sqlite;
using OneWaySensor.Detection;
using OneWaySensor.Detection.Baseline;
using OneWaySensor.Flows;
using OneWaySensor.State;
using static OneWaySensor.Tests.Core.Baseline.BaselineFlows;

namespace OneWaySensor.Tests.State;

public sealed class SqliteBaselineStoreTests : IDisposable
{
    private const string Image = "registry.example/web:1.4";

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static BaselineOptions Options() => new() { LearningSeconds = 600, MinimumObservations = 5, MinimumOneWaySeconds = 10 };

    /// <summary>A model whose image learned TCP over IPv4 and IPv6, DNS, ICMP, an inbound flow and a one-way syslog flow, then froze; and one still learning.</summary>
    private static BaselineModel Learned()
    {
        var model = new BaselineModel(Options());
        for (int i = 0; i < 10; i++)
        {
            long at = Start + (i * 30 * Second);
            model.Learn(Image, Flow((ushort)(40000 + i), "203.0.113.10", 443, 500, 20_000, at), at);
            model.Learn(Image, Flow((ushort)(50000 + i), "198.51.100.5", 53, 40, 120, at, FlowProtocol.Udp), at);
        }

        model.Learn(Image, Flow(41000, "2001:db8::10", 8443, 900, 900, Start), Start);
        model.Learn(Image, Flow(7, "203.0.113.1", 7, 56, 56, Start, FlowProtocol.Icmp), Start);
        model.Learn(Image, Flow(51400, "192.0.2.50", 514, 300, 0, Start, FlowProtocol.Udp), Start);
        model.Learn(Image, Flow(Key(8080, "198.51.100.77", 51234), 900, 300, Start, FlowInitiator.Remote), Start);
        model.Learn("worker:2", Flow(42000, "203.0.113.20", 5432, 300, 3000, Start + (700 * Second)), Start + (700 * Second));
        Assert.False(model.IsLearning(Image, Start + (700 * Second)));
        Assert.True(model.IsLearning("worker:2", Start + (700 * Second)));
        return model;
    }

    private static void AssertSame(ImageBaseline expected, ImageBaseline actual)
    {
        Assert.Equal(expected.Image, actual.Image);
        Assert.Equal(expected.FirstLearnedUnixNs, actual.FirstLearnedUnixNs);
        Assert.Equal(expected.LastLearnedUnixNs, actual.LastLearnedUnixNs);
        Assert.Equal(expected.LearnedUntilUnixNs, actual.LearnedUntilUnixNs);
        Assert.Equal(expected.InboundFlows, actual.InboundFlows);
        Assert.Equal(expected.DestinationsDropped, actual.DestinationsDropped);
        Assert.Equal(expected.PortsDropped, actual.PortsDropped);
        foreach (TxRxRatio bucket in Enum.GetValues<TxRxRatio>())
        {
            Assert.Equal(expected.RatioCount(bucket), actual.RatioCount(bucket));
        }

        Assert.Equal(expected.Destinations.OrderBy(pair => pair.Key.ToString()), actual.Destinations.OrderBy(pair => pair.Key.ToString()));
        Assert.Equal(expected.Ports.OrderBy(pair => pair.Key.ToString()), actual.Ports.OrderBy(pair => pair.Key.ToString()));
    }

    private static SqliteConnection Raw(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(string path, string sql)
    {
        using SqliteConnection connection = Raw(path);
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void Baselines_survive_a_restart()
    {
        string path = folder.File("baselines.db");
        BaselineModel before = Learned();
        using (var store = new SqliteBaselineStore(path))
        {
            Assert.Empty(store.Load());
            store.Save(before.TakeChanged());
        }

        // a new sensor process: a new store on the same file, a new model from what it loads
        IReadOnlyDictionary<string, ImageBaseline> loaded;
        using (var store = new SqliteBaselineStore(path))
        {
            loaded = store.Load();
            Assert.Equal(0, store.SkippedRows);
        }

        Assert.Equal(2, loaded.Count);
        AssertSame(before.Images[Image], loaded[Image]);
        AssertSame(before.Images["worker:2"], loaded["worker:2"]);

        var after = new BaselineModel(Options(), loaded);
        long now = Start + (800 * Second);
        Assert.False(after.IsLearning(Image, now));
        Assert.True(after.IsLearning("worker:2", now));
        FlowState known = Flow(40100, "2001:db8::10", 8443, 800, 0, now - (30 * Second));
        FlowState exfil = Flow(40101, "192.0.2.99", 4444, 800, 0, now - (30 * Second));
        Assert.Null(after.Evaluate(Image, Destination(known), [known], now));
        BaselineFinding? finding = after.Evaluate(Image, Destination(exfil), [exfil], now);
        Assert.NotNull(finding);
        Assert.Equal(Start, finding.LearnedSinceUnixNs);
        Assert.Equal(before.Images[Image].Destinations.Count, finding.KnownDestinations);
    }

    [Fact]
    public void A_save_replaces_what_the_store_held_for_the_image()
    {
        string path = folder.File("baselines.db");
        BaselineModel model = Learned();
        using var store = new SqliteBaselineStore(path);
        store.Save(model.TakeChanged());

        model.Relearn(Image, Start + (900 * Second));
        model.Learn(Image, Flow(43000, "203.0.113.30", 443, 10, 10, Start + (901 * Second)), Start + (901 * Second));
        store.Save(model.TakeChanged());

        ImageBaseline loaded = store.Load()[Image];
        Assert.Single(loaded.Destinations);
        Assert.Single(loaded.Ports);
        Assert.Equal(1ul, loaded.FlowsObserved);
        Assert.False(loaded.Frozen);
        Assert.Equal(Start + (900 * Second), loaded.FirstLearnedUnixNs);
    }

    [Fact]
    public void The_schema_is_created_with_its_version_and_the_file_is_owner_only()
    {
        string path = folder.File("sub/dir/baselines.db");
        using (new SqliteBaselineStore(path))
        {
        }

        using SqliteConnection connection = Raw(path);
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM schema_version";
        Assert.Equal((long)SqliteBaselineStore.SchemaVersion, command.ExecuteScalar());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Loading_bounds_each_image_keeping_the_most_used_destinations()
    {
        string path = folder.File("baselines.db");
        BaselineModel model = Learned();
        using (var store = new SqliteBaselineStore(path))
        {
            store.Save(model.TakeChanged());
        }

        using var bounded = new SqliteBaselineStore(path, maxDestinationsPerImage: 2);
        ImageBaseline loaded = bounded.Load()[Image];

        Assert.Equal(2, loaded.Destinations.Count);
        Assert.True(loaded.Knows(BaselineDestination.Of(Key(0, "203.0.113.10", 443))));
        Assert.True(loaded.Knows(BaselineDestination.Of(Key(0, "198.51.100.5", 53, FlowProtocol.Udp))));
        Assert.Equal(3ul, loaded.DestinationsDropped);
    }

    [Fact]
    public void Bad_rows_are_skipped_and_counted()
    {
        string path = folder.File("baselines.db");
        using (var store = new SqliteBaselineStore(path))
        {
            store.Save(Learned().TakeChanged());
        }

        Execute(path, """
            INSERT INTO images VALUES ('', 0, 0, 0, 0, 0, 0, '0,0,0,0,0,0,0,0,0');
            INSERT INTO images VALUES ('negative:1', 0, 0, 0, -5, 0, 0, '0,0,0,0,0,0,0,0,0');
            INSERT INTO images VALUES ('ratios:1', 0, 0, 0, 0, 0, 0, '1,2,3');
            INSERT INTO images VALUES ('ratios:2', 0, 0, 0, 0, 0, 0, '0,0,0,0,0,x,0,0,0');
            INSERT INTO destinations VALUES ('registry.example/web:1.4', 99, '192.0.2.1', 80, 1);
            INSERT INTO destinations VALUES ('registry.example/web:1.4', 6, 'not-an-address', 80, 1);
            INSERT INTO destinations VALUES ('registry.example/web:1.4', 6, '192.0.2.1', 70000, 1);
            INSERT INTO destinations VALUES ('registry.example/web:1.4', 6, '192.0.2.2', 80, -1);
            INSERT INTO destinations VALUES ('nobody:1', 6, '192.0.2.1', 80, 1);
            INSERT INTO destinations VALUES ('registry.example/web:1.4', 6, '192.0.2.3', 80, 1);
            INSERT INTO ports VALUES ('registry.example/web:1.4', 6, -1, 1);
            INSERT INTO ports VALUES ('ratios:1', 6, 80, 1);
            """);

        using var reopened = new SqliteBaselineStore(path);
        IReadOnlyDictionary<string, ImageBaseline> loaded = reopened.Load();

        Assert.Equal(11, reopened.SkippedRows);
        Assert.Equal(10, reopened.SkipReasons.Count);
        Assert.Contains(reopened.SkipReasons, reason => reason.Contains("bad address 'not-an-address'", StringComparison.Ordinal));
        Assert.Equal([Image, "worker:2"], loaded.Keys.Order(StringComparer.Ordinal));
        // the good rows beside them are all there, the one good row added by hand too
        Assert.True(loaded[Image].Knows(BaselineDestination.Of(Key(0, "192.0.2.3", 80))));
        Assert.Equal(6, loaded[Image].Destinations.Count);
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_one_line_naming_it()
    {
        string path = folder.File("baselines.db");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 31))]);

        var error = Assert.Throws<BaselineStoreException>(() => new SqliteBaselineStore(path));

        Assert.StartsWith($"baseline store {path}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a database", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_folder_that_cannot_be_created_is_one_line_naming_the_file()
    {
        string blocker = folder.File("plain-file");
        File.WriteAllText(blocker, "not a folder");
        string path = System.IO.Path.Combine(blocker, "baselines.db");

        var error = Assert.Throws<BaselineStoreException>(() => new SqliteBaselineStore(path));

        Assert.StartsWith($"baseline store {path}: cannot open: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_folder_in_place_of_the_file_is_refused()
    {
        string path = folder.File("baselines.db");
        Directory.CreateDirectory(path);

        var error = Assert.Throws<BaselineStoreException>(() => new SqliteBaselineStore(path));

        Assert.Equal($"baseline store {path}: cannot open: is a directory", error.Message);
    }

    [Fact]
    public void A_newer_schema_is_refused()
    {
        string path = folder.File("baselines.db");
        using (new SqliteBaselineStore(path))
        {
        }

        Execute(path, "UPDATE schema_version SET version = 99");

        var error = Assert.Throws<BaselineStoreException>(() => new SqliteBaselineStore(path));
        Assert.Equal($"baseline store {path}: schema version 99 is newer than this sensor's (1)", error.Message);
    }

    [Fact]
    public void A_write_that_cannot_happen_is_one_line_and_leaves_the_store_as_it_was()
    {
        string path = folder.File("baselines.db");
        BaselineModel model = Learned();
        using var store = new SqliteBaselineStore(path, busyTimeoutSeconds: 1);
        IReadOnlyCollection<ImageBaseline> changed = model.TakeChanged();

        // another process holds the file locked
        using (SqliteConnection other = Raw(path))
        {
            using SqliteCommand command = other.CreateCommand();
            command.CommandText = "BEGIN EXCLUSIVE";
            command.ExecuteNonQuery();

            var error = Assert.Throws<BaselineStoreException>(() => store.Save(changed));

            Assert.StartsWith($"baseline store {path}: cannot write: ", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error.Message);
        }

        Assert.Empty(store.Load());
        model.MarkUnsaved(changed);
        store.Save(model.TakeChanged());
        Assert.Equal(2, store.Load().Count);
    }
}
