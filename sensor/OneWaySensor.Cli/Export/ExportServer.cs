using System.Buffers;
using System.Net.Sockets;
using System.Text.Json;
using MessagePack;
using OneWaySensor.Cli.Output;
using OneWaySensor.Configuration;
using OneWaySensor.Linux;
using OneWaySensor.Output;

namespace OneWaySensor.Cli.Export;

/// <summary>
/// The sidecar export (`--export unix:PATH`): every record of the output
/// stream, as one MessagePack map with the JSON line's keys, to every client
/// connected to a Unix socket (mode 0660, group configurable). Each record
/// is transcoded once and copied into each client's bounded buffer; see
/// <see cref="ExportClient"/> for what a slow or stalled client costs (its
/// own records, never the sensor's time or memory).
/// </summary>
internal sealed class ExportServer : IRecordSink
{
    private readonly Socket listener;
    private readonly ExportOptions options;
    private readonly Lock gate = new();
    private readonly List<ExportClient> clients = [];
    private readonly List<ExportClient> gone = [];
    private readonly ArrayBufferWriter<byte> record = new(4096);
    private readonly ArrayBufferWriter<byte> scratch = new(256);
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;
    private readonly Action<ExportClient> onCutLoose;
    private long nextClientId;
    private long missed;
    private long cutLoose;
    private long refused;

    private ExportServer(Socket listener, string path, ExportOptions options, Action<ExportClient> onCutLoose)
    {
        this.listener = listener;
        Path = path;
        this.options = options;
        this.onCutLoose = onCutLoose;
        accepting = Task.Run(AcceptAsync);
    }

    public string Name => "export";

    public string Path { get; }

    /// <summary>Records clients missed, summed over every client.</summary>
    public long Lost => Interlocked.Read(ref missed);

    /// <summary>Always null: a record a client missed is that client's loss, never a failure of the export.</summary>
    public string? LastError => null;

    public long ClientsCutLoose => Interlocked.Read(ref cutLoose);

    /// <summary>Connections refused because <see cref="ExportOptions.MaxClients"/> were connected.</summary>
    public long ClientsRefused => Interlocked.Read(ref refused);

    public int Clients
    {
        get
        {
            lock (gate)
            {
                return clients.Count;
            }
        }
    }

    /// <exception cref="IOException">One line: the path is not a socket, another sensor holds it, the group does not exist.</exception>
    public static ExportServer Listen(ExportOptions options, Action<ExportClient> onCutLoose)
    {
        ArgumentNullException.ThrowIfNull(options);
        string path = options.Socket ?? throw new ArgumentException("no export socket configured", nameof(options));
        Socket listener = UnixSocketListener.Listen(
            path,
            "export socket",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            options.SocketGroup);
        return new ExportServer(listener, path, options, onCutLoose);
    }

    public void Write(RecordKind kind, ReadOnlySpan<byte> jsonLine, object record) => Write(jsonLine);

    /// <summary>On the pipeline's writer thread.</summary>
    public void Write(ReadOnlySpan<byte> jsonLine)
    {
        if (Clients == 0)
        {
            return; // nobody to send it to: nothing to transcode
        }

        record.ResetWrittenCount();
        try
        {
            JsonToMessagePack.Transcode(jsonLine, record);
        }
        catch (JsonException)
        {
            Interlocked.Increment(ref missed); // cannot happen with the sensor's own writers; counted if it does
            return;
        }

        lock (gate)
        {
            foreach (ExportClient client in clients)
            {
                long before = client.Missed;
                client.Offer(record.WrittenSpan, WriteMissedNotice, scratch);
                Interlocked.Add(ref missed, client.Missed - before);
                if (client.Closed)
                {
                    gone.Add(client);
                }
            }

            foreach (ExportClient client in gone)
            {
                clients.Remove(client);
                if (client.CutLoose)
                {
                    Interlocked.Increment(ref cutLoose);
                    onCutLoose(client);
                }

                _ = client.CloseAsync();
            }

            gone.Clear();
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        listener.Dispose();
        try
        {
            accepting.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        ExportClient[] last;
        lock (gate)
        {
            last = [.. clients];
            clients.Clear();
        }

        // what is queued for the clients still reading goes out before they are closed
        Task.WaitAll([.. last.Select(client => client.DrainAndCloseAsync(TimeSpan.FromSeconds(5)))]);
        stopping.Dispose();
        File.Delete(Path);
    }

    /// <summary>The health record a client receives after missing records: {"kind": "health", "scope": "export_client", ...}.</summary>
    private static void WriteMissedNotice(long missedSinceNotice, long missedInAll, IBufferWriter<byte> output)
    {
        var writer = new MessagePackWriter(output);
        writer.WriteMapHeader(5);
        writer.Write("kind");
        writer.Write("health");
        writer.Write("time");
        writer.Write(OutputJson.FormatTime(DateTimeOffset.UtcNow));
        writer.Write("scope");
        writer.Write("export_client");
        writer.Write("missed");
        writer.Write(missedSinceNotice);
        writer.Write("missed_total");
        writer.Write(missedInAll);
        writer.Flush();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stopping.Token);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (gate)
            {
                if (clients.Count >= options.MaxClients)
                {
                    Interlocked.Increment(ref refused);
                    socket.Dispose();
                    continue;
                }

                clients.Add(new ExportClient(socket, ++nextClientId, options.ClientBufferBytes, TimeSpan.FromSeconds(options.StallTimeoutSeconds)));
            }
        }
    }
}
