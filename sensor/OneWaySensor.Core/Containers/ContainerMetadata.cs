namespace OneWaySensor.Containers;

/// <summary>A port the container publishes on the host (docker run -p HOST:CONTAINER).</summary>
public sealed record PublishedPort(string Protocol, int ContainerPort, string? HostIp, int? HostPort);

/// <summary>
/// What the container engine says about a container. Every string here is
/// attacker-controlled text (names, labels, commands): outputs escape it.
/// </summary>
public sealed record ContainerMetadata
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public string? Image { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<PublishedPort> PublishedPorts { get; init; } = [];

    public string? NetworkMode { get; init; }

    public bool Privileged { get; init; }

    /// <summary>From the io.kubernetes.pod.name label, where present.</summary>
    public string? PodName { get; init; }

    /// <summary>From the io.kubernetes.pod.namespace label, where present.</summary>
    public string? PodNamespace { get; init; }

    /// <summary>From the io.kubernetes.container.name label, where present.</summary>
    public string? KubernetesContainerName { get; init; }

    public bool HostNetwork => NetworkMode == "host";

    /// <summary>
    /// The command the engine execs for the container's HEALTHCHECK, as its
    /// exec events spell it ("/bin/sh -c CMD" for CMD-SHELL), so those execs
    /// are not taken for a person's `docker exec`.
    /// </summary>
    public string? HealthcheckCommand { get; init; }

    /// <summary>The container's addresses on its networks, as the engine reports them: how a capture names a container.</summary>
    public IReadOnlyList<System.Net.IPAddress> Addresses { get; init; } = [];
}
