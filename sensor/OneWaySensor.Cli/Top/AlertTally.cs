using OneWaySensor.Alerts;
using OneWaySensor.Detection;

namespace OneWaySensor.Cli.Top;

/// <summary>
/// Passes alerts on and remembers, per cgroup, when each was raised, so
/// `top` can show the alerts of the last <see cref="ActiveSeconds"/>. On the
/// source's thread, like the detections that raise them; bounded per cgroup.
/// </summary>
internal sealed class AlertTally(IAlertSink next) : IAlertSink
{
    public const int ActiveSeconds = 600;
    private const int MaxRemembered = 256;

    private readonly Dictionary<ulong, Queue<DateTimeOffset>> raised = [];

    public void Emit(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!raised.TryGetValue(alert.CgroupId, out Queue<DateTimeOffset>? times))
        {
            raised[alert.CgroupId] = times = new Queue<DateTimeOffset>();
        }

        if (times.Count == MaxRemembered)
        {
            times.Dequeue();
        }

        times.Enqueue(alert.Time);
        next.Emit(alert);
    }

    /// <summary>Forgets a cgroup that is gone (its alerts are in the output and the history, not lost).</summary>
    public void Forget(ulong cgroupId) => raised.Remove(cgroupId);

    /// <summary>Alerts of the cgroup raised in the last <see cref="ActiveSeconds"/>; forgets older ones.</summary>
    public int Active(ulong cgroupId, DateTimeOffset now)
    {
        if (!raised.TryGetValue(cgroupId, out Queue<DateTimeOffset>? times))
        {
            return 0;
        }

        while (times.Count > 0 && now - times.Peek() > TimeSpan.FromSeconds(ActiveSeconds))
        {
            times.Dequeue();
        }

        if (times.Count == 0)
        {
            raised.Remove(cgroupId);
        }

        return times.Count;
    }
}
