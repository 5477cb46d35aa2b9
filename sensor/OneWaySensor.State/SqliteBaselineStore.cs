using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using OneWaySensor.Detection.Baseline;
using OneWaySensor.Flows;

namespace OneWaySensor.State;

/// <summary>
/// Baselines in one SQLite file, so a restart loses nothing learned.
/// <para>
/// Schema (version 1, in <c>schema_version</c>; created on first open):
/// <code>
/// images       (image PK, first_learned_unix_ns, last_learned_unix_ns, learned_until_unix_ns (0 = learning),
///               inbound_flows, destinations_dropped, ports_dropped, tx_rx_ratios ("n,n,..." per TxRxRatio bucket))
/// destinations (image, protocol, address (text), port, flows)  PK (image, protocol, address, port)
/// ports        (image, protocol, port, flows)                  PK (image, protocol, port)
/// </code>
/// Counts are stored as signed 64-bit integers (saturated). The tables are
/// STRICT, so a value of the wrong type cannot be written; rows that are
/// still wrong (an unknown protocol, a port out of range, an address that
/// does not parse, a negative count, a destination of no image) are skipped
/// on load and counted in <see cref="SkippedRows"/>, never fatal.
/// </para>
/// <para>
/// Opening checks the file (<c>PRAGMA quick_check</c>) and that it can be
/// written, so a store that will fail fails at start-up. Every failure is a
/// <see cref="BaselineStoreException"/> whose message is one line naming the
/// file. <see cref="Save"/> writes in one transaction: all of it or none.
/// One connection, used under a lock; the file is created owner-only.
/// </para>
/// </summary>
public sealed class SqliteBaselineStore : IBaselineStore, IDisposable
{
    public const int SchemaVersion = 1;

    private const int MaxSkipReasons = 10;

    private const string CreateSchema = """
        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT;
        CREATE TABLE IF NOT EXISTS images (
            image TEXT NOT NULL PRIMARY KEY,
            first_learned_unix_ns INTEGER NOT NULL,
            last_learned_unix_ns INTEGER NOT NULL,
            learned_until_unix_ns INTEGER NOT NULL,
            inbound_flows INTEGER NOT NULL,
            destinations_dropped INTEGER NOT NULL,
            ports_dropped INTEGER NOT NULL,
            tx_rx_ratios TEXT NOT NULL
        ) STRICT;
        CREATE TABLE IF NOT EXISTS destinations (
            image TEXT NOT NULL,
            protocol INTEGER NOT NULL,
            address TEXT NOT NULL,
            port INTEGER NOT NULL,
            flows INTEGER NOT NULL,
            PRIMARY KEY (image, protocol, address, port)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ports (
            image TEXT NOT NULL,
            protocol INTEGER NOT NULL,
            port INTEGER NOT NULL,
            flows INTEGER NOT NULL,
            PRIMARY KEY (image, protocol, port)
        ) STRICT, WITHOUT ROWID;
        """;

    private readonly SqliteConnection connection;
    private readonly Lock gate = new();
    private readonly int maxDestinations;
    private readonly int maxPorts;
    private readonly List<string> skipReasons = [];

    /// <summary>Opens the store at <paramref name="path"/>, creating the file, its folder and the schema as needed.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="maxDestinationsPerImage">Bound of the baselines it loads (the most used destinations are kept).</param>
    /// <param name="maxPortsPerImage">Bound of the baselines it loads.</param>
    /// <param name="busyTimeoutSeconds">How long a statement waits for a lock another process holds.</param>
    /// <exception cref="BaselineStoreException">The file cannot be created, opened, read or written, or is not a baseline store.</exception>
    public SqliteBaselineStore(string path, int maxDestinationsPerImage = ImageBaseline.DefaultMaxDestinations, int maxPortsPerImage = ImageBaseline.DefaultMaxPorts, int busyTimeoutSeconds = 5)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDestinationsPerImage, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPortsPerImage, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(busyTimeoutSeconds);
        maxDestinations = maxDestinationsPerImage;
        maxPorts = maxPortsPerImage;
        Path = System.IO.Path.GetFullPath(path);
        try
        {
            connection = StateDatabase.Open(Path, readOnly: false, busyTimeoutSeconds);
            Check();
            Migrate();
        }
        catch (Exception error) when (error is SqliteException or IOException or UnauthorizedAccessException or BaselineStoreException)
        {
            connection?.Dispose();
            throw error as BaselineStoreException ?? Fail("cannot open", error);
        }
    }

    /// <summary>The database file, as a full path.</summary>
    public string Path { get; }

    /// <summary>Bad rows the last <see cref="Load"/> skipped.</summary>
    public int SkippedRows { get; private set; }

    /// <summary>Why, for the first few of them: "table: image 'x': problem".</summary>
    public IReadOnlyList<string> SkipReasons => skipReasons;

    public IReadOnlyDictionary<string, ImageBaseline> Load()
    {
        lock (gate)
        {
            SkippedRows = 0;
            skipReasons.Clear();
            var images = new Dictionary<string, ImageBaseline>(StringComparer.Ordinal);
            try
            {
                LoadImages(images);
                LoadDestinations(images);
                LoadPorts(images);
            }
            catch (SqliteException error)
            {
                throw Fail("cannot read", error);
            }

            return images;
        }
    }

    public void Save(IReadOnlyCollection<ImageBaseline> changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        if (changed.Count == 0)
        {
            return;
        }

        lock (gate)
        {
            try
            {
                using SqliteTransaction transaction = connection.BeginTransaction();
                using SqliteCommand image = Command(
                    transaction,
                    """
                    INSERT OR REPLACE INTO images (image, first_learned_unix_ns, last_learned_unix_ns, learned_until_unix_ns, inbound_flows, destinations_dropped, ports_dropped, tx_rx_ratios)
                    VALUES ($image, $first, $last, $until, $inbound, $destinations_dropped, $ports_dropped, $ratios)
                    """,
                    "$image", "$first", "$last", "$until", "$inbound", "$destinations_dropped", "$ports_dropped", "$ratios");
                using SqliteCommand clear = Command(transaction, "DELETE FROM destinations WHERE image = $image; DELETE FROM ports WHERE image = $image", "$image");
                using SqliteCommand destination = Command(
                    transaction,
                    "INSERT INTO destinations (image, protocol, address, port, flows) VALUES ($image, $protocol, $address, $port, $flows)",
                    "$image", "$protocol", "$address", "$port", "$flows");
                using SqliteCommand port = Command(
                    transaction,
                    "INSERT INTO ports (image, protocol, port, flows) VALUES ($image, $protocol, $port, $flows)",
                    "$image", "$protocol", "$port", "$flows");
                foreach (ImageBaseline baseline in changed)
                {
                    Run(image, baseline.Image, baseline.FirstLearnedUnixNs, baseline.LastLearnedUnixNs, baseline.LearnedUntilUnixNs, Signed(baseline.InboundFlows), Signed(baseline.DestinationsDropped), Signed(baseline.PortsDropped), FormatRatios(baseline));
                    Run(clear, baseline.Image);
                    foreach ((BaselineDestination key, ulong flows) in baseline.Destinations)
                    {
                        Run(destination, baseline.Image, (long)key.Protocol, key.Address.ToString(), (long)key.RemotePort, Signed(flows));
                    }

                    foreach ((BaselinePort key, ulong flows) in baseline.Ports)
                    {
                        Run(port, baseline.Image, (long)key.Protocol, (long)key.RemotePort, Signed(flows));
                    }
                }

                transaction.Commit();
            }
            catch (SqliteException error)
            {
                throw Fail("cannot write", error);
            }
        }
    }

    public void Dispose() => connection.Dispose();

    /// <summary>That the file is a sound SQLite database (a garbage or truncated file fails here, not at the first save).</summary>
    private void Check()
    {
        using SqliteCommand check = connection.CreateCommand();
        check.CommandText = "PRAGMA quick_check";
        if (check.ExecuteScalar() is string result && result != "ok")
        {
            throw new BaselineStoreException($"baseline store {Path}: damaged ({OneLine(result)}); move it aside to start with empty baselines");
        }
    }

    /// <summary>Creates the schema on a new file; refuses a newer one; proves the file writable.</summary>
    private void Migrate()
    {
        using SqliteTransaction transaction = connection.BeginTransaction();
        using (SqliteCommand create = Command(transaction, CreateSchema))
        {
            create.ExecuteNonQuery();
        }

        using (SqliteCommand version = Command(transaction, "SELECT max(version) FROM schema_version"))
        {
            object? found = version.ExecuteScalar();
            if (found is long stored && stored > SchemaVersion)
            {
                throw new BaselineStoreException($"baseline store {Path}: schema version {stored} is newer than this sensor's ({SchemaVersion})");
            }

            if (found is not long)
            {
                using SqliteCommand insert = Command(transaction, $"INSERT INTO schema_version (version) VALUES ({SchemaVersion})");
                insert.ExecuteNonQuery();
            }
        }

        // a write even when the schema was there already: a read-only file fails now, not at the first save
        using (SqliteCommand touch = Command(transaction, "UPDATE schema_version SET version = version"))
        {
            touch.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private void LoadImages(Dictionary<string, ImageBaseline> images)
    {
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT image, first_learned_unix_ns, last_learned_unix_ns, learned_until_unix_ns, inbound_flows, destinations_dropped, ports_dropped, tx_rx_ratios FROM images";
        using SqliteDataReader row = select.ExecuteReader();
        while (row.Read())
        {
            string? image = Text(row, 0);
            if (string.IsNullOrEmpty(image))
            {
                Skip("images", image, "no image name");
                continue;
            }

            if (!Integer(row, 1, out long first) || !Integer(row, 2, out long last) || !Integer(row, 3, out long until) || until < 0
                || !Count(row, 4, out ulong inbound) || !Count(row, 5, out ulong destinationsDropped) || !Count(row, 6, out ulong portsDropped))
            {
                Skip("images", image, "a time or count is missing or negative");
                continue;
            }

            if (!TryParseRatios(Text(row, 7), out ulong[] ratios))
            {
                Skip("images", image, $"tx_rx_ratios is not {TxRxRatios.Count} counts");
                continue;
            }

            var baseline = new ImageBaseline(image, first, maxDestinations, maxPorts)
            {
                LastLearnedUnixNs = last,
                LearnedUntilUnixNs = until,
                InboundFlows = inbound,
                DestinationsDropped = destinationsDropped,
                PortsDropped = portsDropped,
            };
            for (int i = 0; i < ratios.Length; i++)
            {
                if (ratios[i] > 0)
                {
                    baseline.AddRatio((TxRxRatio)i, ratios[i]);
                }
            }

            images[image] = baseline;
        }
    }

    private void LoadDestinations(Dictionary<string, ImageBaseline> images)
    {
        using SqliteCommand select = connection.CreateCommand();
        // most used first, so a smaller bound keeps what matters
        select.CommandText = "SELECT image, protocol, address, port, flows FROM destinations ORDER BY image, flows DESC";
        using SqliteDataReader row = select.ExecuteReader();
        while (row.Read())
        {
            string? image = Text(row, 0);
            if (image is null || !images.TryGetValue(image, out ImageBaseline? baseline))
            {
                Skip("destinations", image, "no such image");
                continue;
            }

            if (!Protocol(row, 1, out FlowProtocol protocol) || !Port(row, 3, out ushort port) || !Count(row, 4, out ulong flows))
            {
                Skip("destinations", image, "bad protocol, port or flow count");
                continue;
            }

            string? address = Text(row, 2);
            if (!IPAddress.TryParse(address, out IPAddress? parsed) || parsed.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6) || (parsed.AddressFamily == AddressFamily.InterNetworkV6 && parsed.ScopeId != 0))
            {
                Skip("destinations", image, $"bad address '{address}'");
                continue;
            }

            byte version = parsed.AddressFamily == AddressFamily.InterNetwork ? (byte)4 : (byte)6;
            baseline.AddDestination(new BaselineDestination(protocol, version, FlowAddress.FromIPAddress(parsed), BaselineDestination.PortOf(protocol, port)), flows);
        }
    }

    private void LoadPorts(Dictionary<string, ImageBaseline> images)
    {
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT image, protocol, port, flows FROM ports ORDER BY image, flows DESC";
        using SqliteDataReader row = select.ExecuteReader();
        while (row.Read())
        {
            string? image = Text(row, 0);
            if (image is null || !images.TryGetValue(image, out ImageBaseline? baseline))
            {
                Skip("ports", image, "no such image");
                continue;
            }

            if (!Protocol(row, 1, out FlowProtocol protocol) || !Port(row, 2, out ushort port) || !Count(row, 3, out ulong flows))
            {
                Skip("ports", image, "bad protocol, port or flow count");
                continue;
            }

            baseline.AddPort(new BaselinePort(protocol, BaselineDestination.PortOf(protocol, port)), flows);
        }
    }

    private void Skip(string table, string? image, string problem)
    {
        SkippedRows++;
        if (skipReasons.Count < MaxSkipReasons)
        {
            skipReasons.Add($"{table}: image '{OneLine(image ?? "(null)")}': {problem}");
        }
    }

    private static SqliteCommand Command(SqliteTransaction transaction, string sql, params string[] parameters)
    {
        SqliteCommand command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (string name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        command.ExecuteNonQuery();
    }

    private static string? Text(SqliteDataReader row, int column) =>
        !row.IsDBNull(column) && row.GetFieldType(column) == typeof(string) ? row.GetString(column) : null;

    private static bool Integer(SqliteDataReader row, int column, out long value)
    {
        bool ok = !row.IsDBNull(column) && row.GetFieldType(column) == typeof(long);
        value = ok ? row.GetInt64(column) : 0;
        return ok;
    }

    private static bool Count(SqliteDataReader row, int column, out ulong value)
    {
        bool ok = Integer(row, column, out long signed) && signed >= 0;
        value = ok ? (ulong)signed : 0;
        return ok;
    }

    private static bool Protocol(SqliteDataReader row, int column, out FlowProtocol protocol)
    {
        bool ok = Integer(row, column, out long value) && value is >= 0 and <= byte.MaxValue && Enum.IsDefined((FlowProtocol)value);
        protocol = ok ? (FlowProtocol)value : default;
        return ok;
    }

    private static bool Port(SqliteDataReader row, int column, out ushort port)
    {
        bool ok = Integer(row, column, out long value) && value is >= 0 and <= ushort.MaxValue;
        port = ok ? (ushort)value : (ushort)0;
        return ok;
    }

    private static long Signed(ulong count) => count > long.MaxValue ? long.MaxValue : (long)count;

    private static string FormatRatios(ImageBaseline baseline)
    {
        var counts = new long[TxRxRatios.Count];
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = Signed(baseline.RatioCount((TxRxRatio)i));
        }

        return string.Join(',', counts.Select(count => count.ToString(CultureInfo.InvariantCulture)));
    }

    private static bool TryParseRatios(string? text, out ulong[] ratios)
    {
        ratios = new ulong[TxRxRatios.Count];
        string[] parts = text?.Split(',') ?? [];
        if (parts.Length != ratios.Length)
        {
            return false;
        }

        for (int i = 0; i < parts.Length; i++)
        {
            if (!ulong.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ratios[i]) || ratios[i] > long.MaxValue)
            {
                return false;
            }
        }

        return true;
    }

    private BaselineStoreException Fail(string what, Exception error) =>
        new($"baseline store {Path}: {what}: {OneLine(error.Message)}", error);

    private static string OneLine(string text)
    {
        // names, messages and reasons end on one line, with no control character
        var line = new System.Text.StringBuilder(text.Length);
        foreach (char c in text.AsSpan().Trim())
        {
            line.Append(char.IsControl(c) ? ' ' : c);
        }

        return line.ToString();
    }
}
