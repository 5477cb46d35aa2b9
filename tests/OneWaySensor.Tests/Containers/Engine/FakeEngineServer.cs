using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace OneWaySensor.Tests.Containers.Engine;

/// <summary>
/// A container engine that answers canned HTTP/1.1 over a Unix socket in a
/// temporary directory, written on a raw socket so the test controls every
/// byte: Content-Length or chunked bodies, chunk boundaries, a stream held
/// open, a connection cut mid-body.
/// </summary>
internal sealed class FakeEngineServer : IAsyncDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"ows-engine-{Guid.NewGuid():N}");
    private readonly Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly Func<string, FakeResponse> route;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentQueue<string> requests = new();
    private readonly ConcurrentBag<Task> connections = [];
    private readonly Task acceptLoop;

    public FakeEngineServer(Func<string, FakeResponse> route)
    {
        this.route = route;
        Directory.CreateDirectory(directory);
        SocketPath = Path.Combine(directory, "engine.sock");
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen(16);
        acceptLoop = AcceptAsync();
    }

    public string SocketPath { get; }

    /// <summary>Request targets (path and query) in the order they arrived.</summary>
    public IReadOnlyList<string> Requests => [.. requests];

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Dispose();
        await acceptLoop.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10));
        stopping.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            connections.Add(ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        await using var stream = new NetworkStream(client, ownsSocket: true);
        byte[] buffer = new byte[16 * 1024];
        int filled = 0;
        try
        {
            while (true)
            {
                int headerEnd;
                while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                {
                    int read = await stream.ReadAsync(buffer.AsMemory(filled), stopping.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                }

                string requestLine = Encoding.ASCII.GetString(buffer, 0, headerEnd).Split("\r\n")[0];
                int consumed = headerEnd + 4; // GET requests carry no body
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;

                string target = requestLine.Split(' ')[1];
                requests.Enqueue(target);
                FakeResponse response = route(target);
                if (!await response.WriteAsync(stream, stopping.Token))
                {
                    return; // the response ends by closing the connection
                }
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException)
        {
            // the client went away, or the test is over
        }
    }
}

/// <summary>A canned answer: a status and a body sent whole, or in chunks with chunked transfer encoding.</summary>
internal sealed record FakeResponse(int Status, IReadOnlyList<byte[]> Parts, bool Chunked = false)
{
    /// <summary>After the body, keep the connection open and send nothing until the test ends (an idle event stream).</summary>
    public bool Hold { get; init; }

    /// <summary>Stop after the parts with no final chunk, and close the connection (an engine that died mid-stream).</summary>
    public bool CutOff { get; init; }

    /// <summary>Wait this long before answering at all.</summary>
    public TimeSpan Delay { get; init; }

    public static FakeResponse Json(string body, int status = 200) => new(status, [Encoding.UTF8.GetBytes(body)]);

    public static FakeResponse Body(byte[] body) => new(200, [body]);

    public static FakeResponse NotFound() => Json("""{"message":"No such container: x"}""", 404);

    public static FakeResponse ChunkedParts(params byte[][] parts) => new(200, parts, Chunked: true);

    /// <summary>Writes the answer; false when the connection must close after it.</summary>
    public async Task<bool> WriteAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }

        var head = new StringBuilder();
        head.Append($"HTTP/1.1 {Status} {(Status == 200 ? "OK" : "Error")}\r\n");
        head.Append("Api-Version: 1.41\r\nContent-Type: application/json\r\nServer: Docker/20.10.24 (linux)\r\n");
        head.Append(Chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {Parts.Sum(part => part.Length)}\r\n");
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken);
        await stream.FlushAsync(cancellationToken);
        foreach (byte[] part in Parts)
        {
            if (Chunked)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{part.Length:x}\r\n"), cancellationToken);
                await stream.WriteAsync(part, cancellationToken);
                await stream.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
            }
            else
            {
                await stream.WriteAsync(part, cancellationToken);
            }

            await stream.FlushAsync(cancellationToken);
        }

        if (CutOff)
        {
            return false;
        }

        if (Hold)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Chunked)
        {
            await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken);
        }

        return true;
    }
}
