using System.Globalization;
using System.Net.Sockets;
using System.Text;
using OneWaySensor.Linux;

namespace OneWaySensor.Cli.Control;

/// <summary>What the control socket answers; each answer is one JSON document.</summary>
internal interface IControlRequests
{
    Task<string> InvestigateAsync(ulong cgroupId, CancellationToken cancellation);

    Task<string> StatusAsync(CancellationToken cancellation);

    Task<string> TopAsync(CancellationToken cancellation);
}

/// <summary>
/// The running sensor's control socket (root only, mode 0600): a client
/// writes one request line, `investigate CGROUP_ID`, `status` or `top`, and
/// reads one JSON document back. The answers are built on the source's
/// thread by the <see cref="IControlRequests"/>, so the detections' state
/// needs no lock. Requests are bounded in size and time; a bad one gets a
/// one-line error.
/// </summary>
internal sealed class ControlServer : IAsyncDisposable
{
    private const int MaxRequestBytes = 256;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket listener;
    private readonly IControlRequests requests;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;

    private ControlServer(Socket listener, string path, IControlRequests requests)
    {
        this.listener = listener;
        Path = path;
        this.requests = requests;
        accepting = Task.Run(AcceptAsync);
    }

    public string Path { get; }

    /// <summary>Listens at <paramref name="path"/>, owner-only (mode 0600).</summary>
    public static ControlServer Listen(string path, IControlRequests requests)
    {
        Socket listener = UnixSocketListener.Listen(path, "control socket", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new ControlServer(listener, path, requests);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Dispose();
        try
        {
            await accepting;
        }
        catch (OperationCanceledException)
        {
        }

        stopping.Dispose();
        File.Delete(Path);
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping.Token);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token))
        {
            timeout.CancelAfter(RequestTimeout);
            string answer;
            try
            {
                answer = await AnswerAsync(await ReadLineAsync(client, timeout.Token), timeout.Token);
            }
            catch (OperationCanceledException)
            {
                answer = "{\"error\":\"timed out\"}";
            }
#pragma warning disable CA1031 // whatever failed, the client gets one line saying so
            catch (Exception error) when (error is not SocketException)
#pragma warning restore CA1031
            {
                answer = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = error.Message });
            }
            catch (SocketException)
            {
                return;
            }

            try
            {
                await client.SendAsync(Encoding.UTF8.GetBytes(answer + "\n"), SocketFlags.None, timeout.Token);
            }
            catch (Exception error) when (error is SocketException or OperationCanceledException)
            {
                // the client left: nothing to tell it
            }
        }
    }

    private async Task<string> AnswerAsync(string? request, CancellationToken cancellation)
    {
        string[] words = (request ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words switch
        {
            ["investigate", string id] when ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out ulong cgroupId) => await requests.InvestigateAsync(cgroupId, cancellation),
            ["status"] => await requests.StatusAsync(cancellation),
            ["top"] => await requests.TopAsync(cancellation),
            _ => "{\"error\":\"unknown request: expected 'investigate CGROUP_ID', 'status' or 'top'\"}",
        };
    }

    private static async Task<string?> ReadLineAsync(Socket client, CancellationToken cancellation)
    {
        var buffer = new byte[MaxRequestBytes];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellation);
            if (read == 0)
            {
                break;
            }

            filled += read;
            int newline = Array.IndexOf(buffer, (byte)'\n', 0, filled);
            if (newline >= 0)
            {
                return Encoding.UTF8.GetString(buffer, 0, newline);
            }
        }

        return filled == buffer.Length ? null : Encoding.UTF8.GetString(buffer, 0, filled);
    }
}
