using Microsoft.Data.Sqlite;

namespace OneWaySensor.State;

/// <summary>
/// Opens the sensor's one state file (Sensor:StatePath), which holds the
/// baselines and the alert history, each in tables of its own. A new file
/// and its folder are owner-only: which destinations each container talks
/// to, and what it was alerted for, are for the sensor's operator only.
/// </summary>
public static class StateDatabase
{
    /// <exception cref="IOException">The path is a directory, or the folder cannot be made.</exception>
    /// <exception cref="SqliteException">SQLite cannot open the file.</exception>
    public static SqliteConnection Open(string path, bool readOnly, int busyTimeoutSeconds = 5)
    {
        if (Directory.Exists(path))
        {
            throw new IOException("is a directory");
        }

        bool created = !readOnly && !File.Exists(path);
        if (created)
        {
            CreateFolder(path);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = busyTimeoutSeconds,
        }.ToString());
        try
        {
            connection.Open();
            if (created && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void CreateFolder(string path)
    {
        string? folder = Path.GetDirectoryName(path);
        if (folder is null || Directory.Exists(folder))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
