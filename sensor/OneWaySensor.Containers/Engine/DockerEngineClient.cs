using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace OneWaySensor.Containers.Engine;

/// <summary>
/// The Docker Engine API over a Unix domain socket. Podman's Docker-compatible
/// service (<c>podman system service --time=0 unix://PATH</c>) answers the
/// same requests, so one client serves both.
/// </summary>
/// <remarks>
/// Paths carry no API version by default: both engines then answer with
/// their own current version, and the members read here have kept their
/// shape across versions, while a pinned version can fall below a newer
/// engine's minimum. Every answer is untrusted: bodies and events over
/// 1 MiB are refused, text is bounded, and whatever is refused or skipped is
/// counted in <see cref="Counters"/>.
/// </remarks>
public sealed class DockerEngineClient : IContainerEngine, IDisposable
{
    /// <summary>Where Docker listens by default.</summary>
    public const string DefaultSocketPath = "/var/run/docker.sock";

    private const string ContainerListPath = "/containers/json?all=1";

    // filters={"type":["container","network"]}, URL-encoded
    private static readonly string EventsPath = "/events?filters=" + Uri.EscapeDataString("""{"type":["container","network"]}""");

    private readonly HttpClient http;
    private readonly string pathPrefix;
    private readonly TimeSpan requestTimeout;
    private readonly TimeProvider time;
    private EngineClientCounters counters;

    /// <param name="socketPath">The engine's Unix socket.</param>
    /// <param name="apiVersion">A version to pin paths to ("1.41" gives /v1.41/...); null for the engine's own.</param>
    /// <param name="requestTimeout">Bound on connecting, and on a whole inspect or list, or an event stream's headers (default 10 s).</param>
    /// <param name="time">The clock that stamps an event that carries no time.</param>
    public DockerEngineClient(string socketPath = DefaultSocketPath, string? apiVersion = null, TimeSpan? requestTimeout = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        if (apiVersion is not null && !IsApiVersion(apiVersion))
        {
            throw new ArgumentException($"'{apiVersion}' is not an API version like 1.41", nameof(apiVersion));
        }

        this.requestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(this.requestTimeout, TimeSpan.Zero, nameof(requestTimeout));
        SocketPath = socketPath;
        pathPrefix = apiVersion is null ? string.Empty : "/v" + apiVersion;
        this.time = time ?? TimeProvider.System;
        http = new HttpClient(UnixSocketHandler.Create(new UnixDomainSocketEndPoint(socketPath), this.requestTimeout))
        {
            // the host name is not used to connect; HTTP/1.1 requires one
            BaseAddress = new Uri("http://localhost"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The engine's Unix socket.</summary>
    public string SocketPath { get; }

    /// <summary>What this client refused, skipped or failed at, so far.</summary>
    public EngineClientCounters Counters => counters;

    /// <summary>
    /// <c>GET /containers/{id}/json</c>. Null when the engine does not know the
    /// container (404), or when its answer was refused as oversized or malformed (counted).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="id"/> is not shaped like a container id or name.</exception>
    /// <exception cref="EngineUnavailableException">No connection, a timeout or an error status.</exception>
    public async Task<ContainerMetadata?> InspectAsync(string id, CancellationToken cancellationToken)
    {
        if (!ContainerIds.IsPlausible(id))
        {
            throw new ArgumentException("not a container id or name", nameof(id));
        }

        ReadOnlyMemory<byte>? body = await GetAsync($"/containers/{id}/json", EngineLimits.MaxAnswerBytes, allowNotFound: true, cancellationToken).ConfigureAwait(false);
        return body is { } answer ? DockerInspectParser.Parse(answer, ref counters) : null;
    }

    /// <summary><c>GET /containers/json?all=1</c>: the ids of every container, running or stopped.</summary>
    /// <exception cref="EngineUnavailableException">No connection, a timeout, an error status, or a list that cannot be read.</exception>
    public async Task<IReadOnlyList<string>> ListContainerIdsAsync(CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte>? body = await GetAsync(ContainerListPath, EngineLimits.MaxListBytes, allowNotFound: false, cancellationToken).ConfigureAwait(false);
        List<string>? ids = body is { } answer ? DockerListParser.Parse(answer, ref counters) : null;
        return ids ?? throw Failed($"container engine at {SocketPath} answered GET {ContainerListPath} with a list that cannot be read");
    }

    /// <summary>
    /// <c>GET /events</c> for containers and networks, from now on, mapped to
    /// runtime events; other kinds are counted and skipped. Ends when the engine
    /// closes the stream.
    /// </summary>
    /// <exception cref="EngineUnavailableException">No connection, an error status, or the stream broke off.</exception>
    public async IAsyncEnumerable<RuntimeEvent> EventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await OpenEventsAsync(cancellationToken).ConfigureAwait(false);
        using (response)
        {
            Stream stream = await ReadStreamAsync(response, cancellationToken).ConfigureAwait(false);
            var framer = new LineFramer(stream, EngineLimits.MaxAnswerBytes, () => Interlocked.Increment(ref counters.OversizedAnswers));
            var batch = new List<RuntimeEvent>();
            while (await ReadLineAsync(framer, cancellationToken).ConfigureAwait(false) is ReadOnlyMemory<byte> line)
            {
                batch.Clear();
                DockerEventParser.ParseLine(line.Span, batch, time.GetUtcNow(), ref counters);
                foreach (RuntimeEvent runtimeEvent in batch)
                {
                    yield return runtimeEvent;
                }
            }
        }
    }

    public void Dispose() => http.Dispose();

    /// <summary>One request, its whole body read within the request timeout. Null for a 404 when allowed, or an oversized body.</summary>
    private async Task<ReadOnlyMemory<byte>?> GetAsync(string path, int maxBytes, bool allowNotFound, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        try
        {
            using HttpResponseMessage response = await http.GetAsync(pathPrefix + path, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (allowNotFound && response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            ThrowUnlessSuccess(response, path);
            ReadOnlyMemory<byte>? body = await ReadBoundedAsync(response.Content, maxBytes, timeout.Token).ConfigureAwait(false);
            if (body is null)
            {
                Interlocked.Increment(ref counters.OversizedAnswers);
            }

            return body;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed($"container engine at {SocketPath} did not answer GET {path} within {requestTimeout.TotalSeconds:0.###} s");
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or SocketException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw Unreachable(exception);
        }
    }

    private async Task<HttpResponseMessage> OpenEventsAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout); // both engines send the headers at once, before any event
        HttpResponseMessage? response = null;
        try
        {
            response = await http.GetAsync(pathPrefix + EventsPath, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            ThrowUnlessSuccess(response, "/events");
            return response;
        }
        catch (Exception exception)
        {
            response?.Dispose();
            if (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw Failed($"container engine at {SocketPath} did not answer GET /events within {requestTimeout.TotalSeconds:0.###} s");
            }

            if (exception is HttpRequestException or IOException or SocketException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw Unreachable(exception);
            }

            throw;
        }
    }

    private async Task<Stream> ReadStreamAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw BrokenStream(exception);
        }
    }

    private async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(LineFramer framer, CancellationToken cancellationToken)
    {
        try
        {
            return await framer.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw BrokenStream(exception);
        }
    }

    /// <summary>The body, or null when it is longer than <paramref name="maxBytes"/>; never holds more than that plus one byte.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBoundedAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        long? declared = content.Headers.ContentLength;
        if (declared > maxBytes)
        {
            return null;
        }

        byte[] buffer = new byte[declared is long length and > 0 ? (int)length : 16 * 1024];
        int filled = 0;
        Stream stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (filled > maxBytes)
                    {
                        return null;
                    }

                    Array.Resize(ref buffer, (int)Math.Min(Math.Max(buffer.Length * 2L, 16 * 1024), maxBytes + 1L));
                }

                int read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.AsMemory(0, filled);
                }

                filled += read;
            }
        }
    }

    private void ThrowUnlessSuccess(HttpResponseMessage response, string path)
    {
        if (!response.IsSuccessStatusCode)
        {
            // the error body is the engine's text, possibly echoing ours: not worth the risk of showing it
            throw Failed($"container engine at {SocketPath} answered {(int)response.StatusCode} to GET {path}");
        }
    }

    private EngineUnavailableException Unreachable(Exception exception) =>
        Failed($"container engine socket {SocketPath} is unavailable: {Reason(exception)}", exception);

    private EngineUnavailableException BrokenStream(Exception exception) =>
        Failed($"container engine at {SocketPath} broke off the event stream: {Reason(exception)}", exception);

    private EngineUnavailableException Failed(string message, Exception? inner = null)
    {
        Interlocked.Increment(ref counters.RequestsFailed);
        return inner is null ? new EngineUnavailableException(OneLine(message)) : new EngineUnavailableException(OneLine(message), inner);
    }

    /// <summary>
    /// Why the socket could not be used, in words an operator acts on. .NET
    /// reports a missing socket file as "Cannot assign requested address", so
    /// that case is named plainly.
    /// </summary>
    private string Reason(Exception exception)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    _ when !File.Exists(SocketPath) => "no such socket",
                    SocketError.ConnectionRefused => "connection refused (no engine is listening)",
                    SocketError.AccessDenied => "permission denied",
                    _ => socket.Message,
                };
            }
        }

        return exception.Message;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static bool IsApiVersion(string version)
    {
        if (version.Length is 0 or > 8 || !char.IsAsciiDigit(version[0]))
        {
            return false;
        }

        foreach (char c in version)
        {
            if (!char.IsAsciiDigit(c) && c != '.')
            {
                return false;
            }
        }

        return true;
    }
}
