using OneWaySensor.Alerts;
using OneWaySensor.Containers;
using OneWaySensor.Containers.Cgroups;
using OneWaySensor.Processes;

namespace OneWaySensor.Cli.Output;

/// <summary>
/// Adds to an alert what the detections do not know: the container its
/// cgroup path names, what the engine says about that container, and the
/// owning process's executable. Runs on the output pipeline, never on the
/// source's thread, so a slow engine delays one alert, not the counting.
/// </summary>
internal sealed class AlertEnricher(ContainerEngines containers, ProcessDirectory processes, TimeSpan metadataWait)
{
    public async ValueTask<Alert> EnrichAsync(Alert alert, CancellationToken cancellation)
    {
        ContainerIdentity? container = alert.Container ?? CgroupPathParser.Parse(alert.CgroupPath);
        ContainerMetadata? metadata = alert.ContainerMetadata;
        if (metadata is null && container is not null && container.Runtime is ContainerRuntime.Docker or ContainerRuntime.Podman)
        {
            metadata = await containers.GetOrFetchAsync(container.Id, metadataWait, cancellation);
        }

        string? executable = alert.Flow.Owner.Known ? ExecutableOf(alert.Flow.Owner.Tgid) : null;
        IReadOnlyList<RuntimeEvent> recent = container is null ? [] : containers.RecentEvents(container.Id);
        return alert with { Container = container, ContainerMetadata = metadata, ProcessExecutable = executable, RecentRuntimeEvents = recent };
    }

    private string? ExecutableOf(uint pid)
    {
        string? fromExec = processes.ExecutableOf(pid);
        if (fromExec is not null)
        {
            return fromExec;
        }

        try
        {
            // started before the sensor: ask /proc while the process lives
            return new FileInfo($"/proc/{pid}/exe").LinkTarget;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
