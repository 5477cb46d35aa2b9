using System.Collections.Concurrent;
using OneWaySensor.Containers;

namespace OneWaySensor.Detection.Rules;

/// <summary>
/// The last exec into each container (`docker exec`, `kubectl exec` on a
/// Docker node), from the runtime's events. Fed from the engine's thread,
/// read by the detections: a concurrent map, one entry per container.
/// </summary>
internal sealed class ExecTracker
{
    private readonly ConcurrentDictionary<string, RuntimeEvent> lastExec = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> started = new(StringComparer.Ordinal);

    public void Observe(RuntimeEvent runtimeEvent)
    {
        ArgumentNullException.ThrowIfNull(runtimeEvent);
        switch (runtimeEvent.Kind)
        {
            case RuntimeEventKind.ExecCreate or RuntimeEventKind.ExecStart when runtimeEvent.Healthcheck:
                break; // the engine's own probe, every few seconds: not an exec into the container
            case RuntimeEventKind.ExecCreate or RuntimeEventKind.ExecStart:
                // exec_start follows exec_create; keep the one that names the command
                lastExec.AddOrUpdate(runtimeEvent.ContainerId, runtimeEvent, (_, before) => runtimeEvent.Command is null && before.Command is not null ? before with { Time = runtimeEvent.Time } : runtimeEvent);
                break;
            case RuntimeEventKind.ContainerStart:
                started[runtimeEvent.ContainerId] = runtimeEvent.Time;
                break;
            case RuntimeEventKind.ContainerDestroy:
                lastExec.TryRemove(runtimeEvent.ContainerId, out _);
                started.TryRemove(runtimeEvent.ContainerId, out _);
                break;
        }
    }

    /// <summary>The last exec into the container at or before <paramref name="time"/> and no more than <paramref name="within"/> before it.</summary>
    public RuntimeEvent? ExecBefore(string containerId, DateTimeOffset time, TimeSpan within) =>
        lastExec.TryGetValue(containerId, out RuntimeEvent? exec) && exec.Time <= time + TimeSpan.FromSeconds(1) && time - exec.Time <= within
            ? exec
            : null;

    /// <summary>When the container last started, if the sensor saw it.</summary>
    public DateTimeOffset? StartedAt(string containerId) =>
        started.TryGetValue(containerId, out DateTimeOffset time) ? time : null;
}
