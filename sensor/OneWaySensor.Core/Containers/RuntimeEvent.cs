namespace OneWaySensor.Containers;

/// <summary>What happened to a container, as its engine reported it.</summary>
public enum RuntimeEventKind
{
    ContainerCreate,
    ContainerStart,
    ContainerDie,
    ContainerDestroy,
    ExecCreate,
    ExecStart,
    NetworkConnect,
    NetworkDisconnect,
}

/// <summary>
/// One container runtime event (the ADS's "container runtime logs").
/// <see cref="Command"/> is set for exec events, <see cref="Network"/> for
/// network events, <see cref="ExitCode"/> for die.
/// </summary>
public sealed record RuntimeEvent(
    DateTimeOffset Time,
    RuntimeEventKind Kind,
    string ContainerId,
    string? ContainerName = null,
    string? Image = null,
    string? Command = null,
    string? Network = null,
    int? ExitCode = null)
{
    /// <summary>An exec the engine ran for the container's own healthcheck, not a person's.</summary>
    public bool Healthcheck { get; init; }

    /// <summary>The "kind" field of the JSON line.</summary>
    public string KindName => Kind switch
    {
        RuntimeEventKind.ContainerCreate => "container_create",
        RuntimeEventKind.ContainerStart => "container_start",
        RuntimeEventKind.ContainerDie => "container_die",
        RuntimeEventKind.ContainerDestroy => "container_destroy",
        RuntimeEventKind.ExecCreate => "exec_create",
        RuntimeEventKind.ExecStart => "exec_start",
        RuntimeEventKind.NetworkConnect => "network_connect",
        RuntimeEventKind.NetworkDisconnect => "network_disconnect",
        _ => "unknown",
    };
}
