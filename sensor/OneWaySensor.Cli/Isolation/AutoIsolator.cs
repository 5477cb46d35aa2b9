using Microsoft.Extensions.Logging;
using OneWaySensor.Alerts;
using OneWaySensor.Linux;
using OneWaySensor.Linux.Cgroups;
using OneWaySensor.Linux.Isolation;

namespace OneWaySensor.Cli.Isolation;

/// <summary>
/// Optional automatic response: a high or critical alert from one of the
/// configured rules on a container isolates that container's cgroup in the
/// kernel's deny set before the alert is written, and the alert says so.
/// Host processes are never isolated automatically. The running source sees
/// the change at its next poll and records it on the output stream.
/// </summary>
internal sealed partial class AutoIsolator(IAlertSink output, IReadOnlyCollection<string> rules, string cgroupRoot, ILogger logger) : IAlertSink, IDisposable
{
    private DenySet? denySet;
    private bool unavailable;

    public void Emit(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (rules.Contains(alert.Rule) && alert.Container is not null && alert.Priority >= AlertPriority.High && alert.CgroupPath is not null)
        {
            alert.Evidence["auto_isolated"] = Isolate(alert);
        }

        output.Emit(alert);
    }

    public void Dispose() => denySet?.Dispose();

    private bool Isolate(Alert alert)
    {
        if (unavailable || CgroupNode.At(cgroupRoot, alert.CgroupPath!) is not CgroupNode node)
        {
            return false;
        }

        try
        {
            denySet ??= DenySet.OpenPinned();
            denySet.Add(node.Id, node.Level, alert.Time);
            LogIsolated(alert.Container!.Id, node.RelativePath, alert.Rule);
            return true;
        }
        catch (SensorException error)
        {
            unavailable = true;
            LogUnavailable(error.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "isolated container {Container} (cgroup {Cgroup}) automatically on a {Rule} alert")]
    private partial void LogIsolated(string container, string cgroup, string rule);

    [LoggerMessage(Level = LogLevel.Error, Message = "automatic isolation is unavailable: {Reason}")]
    private partial void LogUnavailable(string reason);
}
