using System.Globalization;
using System.Net.Sockets;
using System.Text;
using OneWaySensor.Linux;

namespace OneWaySensor.Cli.Control;

/// <summary>
/// The running sensor's control socket (root only, mode 0600): a client
/// writes one request line, `investigate CGROUP_ID`, and reads one JSON
/// document back. The answer is built on the source's thread by
/// <paramref name="investigate"/>, so the detections' state needs no lock.
/// Requests are bounded in size and time; a bad one gets a one-line error.
/// </summary>
internal sealed class ControlServer : IAsyncDisposable
{
    private const int MaxRequestBytes = 256;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket listener;
    private readonly Func<ulong, CancellationToken, Task<string>> investigate;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;

    private ControlServer(Socket listener, string path, Func<ulong, CancellationToken, Task<string>> investigate)
    {
        this.listener = listener;
        Path = path;
        this.investigate = investigate;
        accepting = Task.Run(AcceptAsync);
    }

    public string Path { get; }

    /// <summary>Listens at <paramref name="path"/>; a stale socket file is replaced, anything else there is an error naming it.</summary>
    public static ControlServer Listen(string path, Func<ulong, CancellationToken, Task<string>> investigate)
    {
        ArgumentNullException.ThrowIfNull(path);
        string directory = System.IO.Path.GetDirectoryName(path) ?? "/";
        Directory.CreateDirectory(directory);
        if (File.Exists(path) || Directory.Exists(path))
        {
            if (!UnixSocketFile.IsSocket(path))
            {
                throw new IOException($"the control socket path {path} exists and is not a socket");
            }

            if (Answers(path))
            {
                throw new IOException($"another sensor already listens on the control socket {path}");
            }

            File.Delete(path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            listener.Listen(16);
        }
        catch (SocketException error)
        {
            listener.Dispose();
            throw new IOException($"cannot listen on the control socket {path}: {error.Message}", error);
        }

        return new ControlServer(listener, path, investigate);
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

    private static bool Answers(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
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
        if (words.Length == 2 && words[0] == "investigate" && ulong.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong cgroupId))
        {
            return await investigate(cgroupId, cancellation);
        }

        return "{\"error\":\"unknown request: expected 'investigate CGROUP_ID'\"}";
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
