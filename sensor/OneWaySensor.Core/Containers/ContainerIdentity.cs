namespace OneWaySensor.Containers;

/// <summary>The container runtimes whose cgroup path shapes the sensor knows.</summary>
public enum ContainerRuntime
{
    Docker,
    Containerd,
    CriO,
    Podman,
}

/// <summary>
/// What a cgroup path alone says about its container: the runtime, the
/// 64-hex container id and, under Kubernetes, the pod's UID and QoS class.
/// Known with no runtime API at all.
/// </summary>
public sealed record ContainerIdentity(ContainerRuntime Runtime, string Id, string? PodUid = null, string? QosClass = null)
{
    public string RuntimeName => Runtime switch
    {
        ContainerRuntime.Docker => "docker",
        ContainerRuntime.Containerd => "containerd",
        ContainerRuntime.CriO => "cri-o",
        ContainerRuntime.Podman => "podman",
        _ => "unknown",
    };
}
