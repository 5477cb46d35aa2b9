using System.Net;

namespace OneWaySensor.Configuration;

/// <summary>The metrics endpoint's "ADDRESS:PORT": loopback only, since the metrics name containers and are not authenticated.</summary>
public readonly record struct MetricsEndpoint(IPEndPoint? EndPoint, string? Error)
{
    public static MetricsEndpoint Parse(string text)
    {
        if (!IPEndPoint.TryParse(text ?? string.Empty, out IPEndPoint? endPoint) || endPoint.Port == 0)
        {
            return new(null, $"must be ADDRESS:PORT on loopback, e.g. 127.0.0.1:9477, got '{text}'");
        }

        return IPAddress.IsLoopback(endPoint.Address)
            ? new(endPoint, null)
            : new(null, $"must be a loopback address (127.0.0.0/8 or [::1]): the metrics are not authenticated; got '{text}'");
    }
}
