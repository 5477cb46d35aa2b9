using System.Net;
using System.Text;

namespace OneWaySensor.Cli.Health;

/// <summary>
/// The Prometheus endpoint (`--metrics 127.0.0.1:PORT`): GET /metrics
/// answers the latest status in the text format. Loopback only: the
/// metrics name containers, and the endpoint has no authentication.
/// </summary>
internal sealed class MetricsServer : IAsyncDisposable
{
    private readonly HttpListener listener;
    private readonly Func<SensorStatus?> status;
    private readonly Task serving;

    private MetricsServer(HttpListener listener, Func<SensorStatus?> status)
    {
        this.listener = listener;
        this.status = status;
        serving = Task.Run(ServeAsync);
    }

    /// <exception cref="IOException">One line: the port is in use, or the address cannot be bound.</exception>
    public static MetricsServer Listen(IPEndPoint endPoint, Func<SensorStatus?> status)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        string host = endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]" : endPoint.Address.ToString();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://{host}:{endPoint.Port}/");
        try
        {
            listener.Start();
        }
        catch (HttpListenerException error)
        {
            listener.Close();
            throw new IOException($"cannot serve metrics on {endPoint}: {error.Message}", error);
        }

        return new MetricsServer(listener, status);
    }

    public async ValueTask DisposeAsync()
    {
        listener.Close();
        await serving.ConfigureAwait(false);
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // closed
            }

            try
            {
                Answer(context);
            }
            catch (Exception error) when (error is HttpListenerException or IOException)
            {
                // the scraper left
            }
        }
    }

    private void Answer(HttpListenerContext context)
    {
        using HttpListenerResponse response = context.Response;
        if (context.Request.HttpMethod is not ("GET" or "HEAD") || context.Request.Url?.AbsolutePath is not ("/metrics" or "/"))
        {
            response.StatusCode = 404;
            return;
        }

        SensorStatus? latest = status();
        if (latest is null)
        {
            response.StatusCode = 503; // before the first poll
            return;
        }

        byte[] body = Encoding.UTF8.GetBytes(PrometheusText.Render(latest));
        response.ContentType = PrometheusText.ContentType;
        response.ContentLength64 = body.Length;
        if (context.Request.HttpMethod == "GET")
        {
            response.OutputStream.Write(body);
        }
    }
}
