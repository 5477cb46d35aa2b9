using System.Net;
using System.Net.Sockets;

namespace OneWaySensor.Containers.Engine;

/// <summary>
/// An HTTP handler whose every connection is to one Unix domain socket, as
/// the Docker and Podman engines listen. Proxies, redirects, cookies and
/// decompression are off: the engine is local and answers plain JSON.
/// </summary>
internal static class UnixSocketHandler
{
    public static SocketsHttpHandler Create(UnixDomainSocketEndPoint endPoint, TimeSpan connectTimeout) => new()
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        ConnectTimeout = connectTimeout,
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        MaxResponseHeadersLength = 64, // KiB; an engine's headers are a few hundred bytes
    };
}
