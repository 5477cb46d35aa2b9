namespace OneWaySensor.Configuration;

/// <summary>The sidecar export: every record as MessagePack on a Unix socket ("Sensor:Export").</summary>
public sealed class ExportOptions
{
    /// <summary>The socket's path; null turns the export off.</summary>
    public string? Socket { get; set; }

    /// <summary>The group the socket belongs to (a name or a number); its mode is 0660. Null keeps the sensor's own group.</summary>
    public string? SocketGroup { get; set; }

    /// <summary>Bytes each client may have waiting; what does not fit is dropped for that client, counted and told to it.</summary>
    public int ClientBufferBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>A client whose buffer stays full this long without taking a byte is disconnected.</summary>
    public int StallTimeoutSeconds { get; set; } = 10;

    /// <summary>Clients at once; more are refused (and counted), so the buffers stay bounded.</summary>
    public int MaxClients { get; set; } = 16;

    /// <summary>"unix:PATH", as `--export` takes it, to the path; null when it is not that form or not a socket's path.</summary>
    public static string? ParseAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        const string Scheme = "unix:";
        return address.StartsWith(Scheme, StringComparison.Ordinal) && UnixSocketPath.Problem(address[Scheme.Length..]) is null
            ? address[Scheme.Length..]
            : null;
    }

    internal string? Validate(Func<string, long, long, long, string?> range, Func<string, string, string> problem)
    {
        return (Socket is not null && UnixSocketPath.Problem(Socket) is string socketProblem
                ? problem("Export:Socket", socketProblem)
                : null)
            ?? (SocketGroup is { Length: 0 } ? problem("Export:SocketGroup", "must not be empty") : null)
            ?? range("Export:ClientBufferBytes", ClientBufferBytes, 64 * 1024, 1 << 30)
            ?? range("Export:StallTimeoutSeconds", StallTimeoutSeconds, 1, 3600)
            ?? range("Export:MaxClients", MaxClients, 1, 1024);
    }
}
