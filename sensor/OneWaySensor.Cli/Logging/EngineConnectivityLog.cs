using Microsoft.Extensions.Logging;
using OneWaySensor.Containers;

namespace OneWaySensor.Cli.Logging;

/// <summary>
/// One line when a container engine stops answering, one when it answers
/// again, however many reconnects it takes in between. An engine counts as
/// gone once it has failed for <see cref="Grace"/> (a stream that ends and
/// reconnects at once is no outage). A default socket whose engine never
/// answered (no Podman on a Docker host) is not news; one the operator named
/// is. Called from the watchdog, one thread.
/// </summary>
internal sealed partial class EngineConnectivityLog(bool reportNeverConnected, ILogger logger, TimeProvider? time = null)
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private readonly TimeProvider clock = time ?? TimeProvider.System;
    private readonly Dictionary<string, Watch> engines = [];

    public void Check(IReadOnlyList<EngineConnection> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        foreach (EngineConnection connection in connections)
        {
            Watch watch = engines.GetValueOrDefault(connection.Socket);
            if (connection.Connected)
            {
                if (watch.SaidDown)
                {
                    LogBack(connection.Socket);
                }

                watch = new Watch { EverConnected = true };
            }
            else if (connection.LastFailure is string reason)
            {
                watch.DownSince ??= clock.GetTimestamp();
                if (!watch.SaidDown && (watch.EverConnected || reportNeverConnected) && clock.GetElapsedTime(watch.DownSince.Value) >= Grace)
                {
                    LogDown(connection.Socket, reason);
                    watch.SaidDown = true;
                }
            }

            engines[connection.Socket] = watch;
        }
    }

    private struct Watch
    {
        public bool EverConnected;
        public bool SaidDown;
        public long? DownSince;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "container engine {Socket} is not answering ({Reason}): counting goes on; containers are named by their cgroup path until it answers again")]
    private partial void LogDown(string socket, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "container engine {Socket} answers again: its containers are listed and named")]
    private partial void LogBack(string socket);
}
