using System.Globalization;
using Microsoft.Data.Sqlite;

namespace OneWaySensor.State;

/// <summary>One alert as the history keeps it: its JSON line is exactly what the sensor emitted.</summary>
public sealed record StoredAlert(long Id, DateTimeOffset Time, string Rule, string? ContainerName, string? ContainerId, string Json);

/// <summary>
/// Past alerts in the state file (table <c>alerts</c>), for `onewaysensor
/// alerts`: the time, rule and container as columns to search by, and the
/// alert's JSON line as emitted. The sensor appends; the command reads
/// (read-only, so it never blocks or changes the running sensor's file).
/// Rows beyond <see cref="MaxRows"/> are deleted oldest first, so the file
/// stays bounded on a noisy host.
/// </summary>
public sealed class SqliteAlertHistory : IDisposable
{
    public const long MaxRows = 1_000_000;

    private const string CreateSchema = """
        CREATE TABLE IF NOT EXISTS alerts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time_unix_ms INTEGER NOT NULL,
            rule TEXT NOT NULL,
            container_name TEXT,
            container_id TEXT,
            json TEXT NOT NULL
        ) STRICT;
        CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (time_unix_ms);
        """;

    private readonly SqliteConnection connection;
    private readonly SqliteCommand? insert;
    private long appendsSincePrune;

    private SqliteAlertHistory(SqliteConnection connection, string path, bool writable)
    {
        this.connection = connection;
        Path = path;
        if (writable)
        {
            insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO alerts (time_unix_ms, rule, container_name, container_id, json) VALUES ($time, $rule, $name, $id, $json)";
            foreach (string name in new[] { "$time", "$rule", "$name", "$id", "$json" })
            {
                insert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
        }
    }

    public string Path { get; }

    /// <summary>Opens the history for appending, creating the file and table as needed; fails at once on a file it could not write.</summary>
    /// <exception cref="StateException">One line naming the file and the problem.</exception>
    public static SqliteAlertHistory OpenForAppend(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        SqliteConnection? connection = null;
        try
        {
            connection = StateDatabase.Open(full, readOnly: false);
            using SqliteCommand create = connection.CreateCommand();
            create.CommandText = CreateSchema;
            create.ExecuteNonQuery(); // writes: an unwritable file fails here, at start-up
            return new SqliteAlertHistory(connection, full, writable: true);
        }
        catch (Exception error) when (error is SqliteException or IOException or UnauthorizedAccessException)
        {
            connection?.Dispose();
            throw new StateException($"state file {full}: cannot open for writing: {OneLine(error)}", error);
        }
    }

    /// <summary>Opens the history to read; a file without alerts reads as empty.</summary>
    /// <exception cref="StateException">The file is absent or not a database.</exception>
    public static SqliteAlertHistory OpenForReading(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new StateException($"state file {full}: not found (the sensor writes it; see --state)");
        }

        SqliteConnection? connection = null;
        try
        {
            connection = StateDatabase.Open(full, readOnly: true);
            return new SqliteAlertHistory(connection, full, writable: false);
        }
        catch (Exception error) when (error is SqliteException or IOException or UnauthorizedAccessException)
        {
            connection?.Dispose();
            throw new StateException($"state file {full}: cannot open: {OneLine(error)}", error);
        }
    }

    /// <exception cref="StateException">The write failed (a full disk, a lost file).</exception>
    public void Append(DateTimeOffset time, string rule, string? containerName, string? containerId, string json)
    {
        if (insert is null)
        {
            throw new InvalidOperationException("opened for reading");
        }

        try
        {
            insert.Parameters["$time"].Value = time.ToUnixTimeMilliseconds();
            insert.Parameters["$rule"].Value = rule;
            insert.Parameters["$name"].Value = (object?)containerName ?? DBNull.Value;
            insert.Parameters["$id"].Value = (object?)containerId ?? DBNull.Value;
            insert.Parameters["$json"].Value = json;
            insert.ExecuteNonQuery();
            if (++appendsSincePrune >= 10_000)
            {
                appendsSincePrune = 0;
                Prune();
            }
        }
        catch (SqliteException error)
        {
            throw new StateException($"state file {Path}: cannot append an alert: {OneLine(error)}", error);
        }
    }

    /// <summary>
    /// Alerts since <paramref name="since"/>, oldest first, of the container
    /// whose name or id (or id prefix) is <paramref name="container"/> when given.
    /// </summary>
    public IReadOnlyList<StoredAlert> Query(DateTimeOffset? since, string? container, string? rule, int limit)
    {
        try
        {
            using SqliteCommand query = connection.CreateCommand();
            var where = new List<string>();
            if (since is DateTimeOffset from)
            {
                where.Add("time_unix_ms >= $since");
                query.Parameters.AddWithValue("$since", from.ToUnixTimeMilliseconds());
            }

            if (container is not null)
            {
                where.Add("(container_name = $container OR container_name = '/' || $container OR substr(container_id, 1, length($container)) = $container)");
                query.Parameters.AddWithValue("$container", container);
            }

            if (rule is not null)
            {
                where.Add("rule = $rule");
                query.Parameters.AddWithValue("$rule", rule);
            }

            // the newest `limit`, printed oldest first
            query.CommandText = $"SELECT * FROM (SELECT id, time_unix_ms, rule, container_name, container_id, json FROM alerts {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : string.Empty)} ORDER BY id DESC LIMIT $limit) ORDER BY id";
            query.Parameters.AddWithValue("$limit", limit);
            var alerts = new List<StoredAlert>();
            using SqliteDataReader row = query.ExecuteReader();
            while (row.Read())
            {
                alerts.Add(new StoredAlert(
                    row.GetInt64(0),
                    DateTimeOffset.FromUnixTimeMilliseconds(row.GetInt64(1)),
                    row.GetString(2),
                    row.IsDBNull(3) ? null : row.GetString(3),
                    row.IsDBNull(4) ? null : row.GetString(4),
                    row.GetString(5)));
            }

            return alerts;
        }
        catch (SqliteException error) when (error.Message.Contains("no such table", StringComparison.Ordinal))
        {
            return []; // a state file the sensor has not written alerts to yet
        }
        catch (SqliteException error)
        {
            throw new StateException($"state file {Path}: cannot read alerts: {OneLine(error)}", error);
        }
    }

    public void Dispose()
    {
        insert?.Dispose();
        connection.Dispose();
    }

    private void Prune()
    {
        using SqliteCommand prune = connection.CreateCommand();
        prune.CommandText = "DELETE FROM alerts WHERE id <= (SELECT max(id) FROM alerts) - $keep";
        prune.Parameters.AddWithValue("$keep", MaxRows);
        prune.ExecuteNonQuery();
    }

    private static string OneLine(Exception error)
    {
        string text = error is SqliteException sqlite ? $"{sqlite.Message.Split('\n')[0]}" : error.Message;
        return text.ReplaceLineEndings(" ").ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>The state file failed; the message is one line naming it.</summary>
public sealed class StateException(string message, Exception? inner = null) : Exception(message, inner);
