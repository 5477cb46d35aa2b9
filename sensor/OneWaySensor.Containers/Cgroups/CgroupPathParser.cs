using System.Text.RegularExpressions;

namespace OneWaySensor.Containers.Cgroups;

/// <summary>
/// Reads the runtime and container id out of a cgroup v2 path, for every
/// shape the common runtimes create, under both cgroup drivers:
/// <code>
/// docker      /docker/ID                          /system.slice/docker-ID.scope
/// containerd  /default/ID (ctr, nerdctl)          /system.slice/nerdctl-ID.scope
/// kubernetes  /kubepods/QOS/podUID/ID             /kubepods.slice/kubepods-QOS.slice/kubepods-QOS-podUID.slice/cri-containerd-ID.scope
/// cri-o       /kubepods/QOS/podUID/crio-ID        .../kubepods-QOS-podUID.slice/crio-ID.scope
/// podman      /libpod_parent/libpod-ID            /machine.slice/libpod-ID.scope[/container]
/// </code>
/// QOS is besteffort or burstable (a guaranteed pod sits directly under
/// kubepods); the systemd driver writes the pod UID with underscores. The
/// innermost container segment wins (a container inside a container).
/// conmon's own cgroups (crio-conmon-ID, libpod-conmon-ID) are runtime
/// helpers, not containers. A path with no container segment is a host process.
/// </summary>
public static partial class CgroupPathParser
{
    private const string Id = "(?<id>[0-9a-f]{64})";

    [GeneratedRegex($"^docker-{Id}\\.scope$")]
    private static partial Regex DockerScope();

    [GeneratedRegex($"^cri-containerd-{Id}\\.scope$")]
    private static partial Regex ContainerdScope();

    [GeneratedRegex($"^nerdctl-{Id}\\.scope$")]
    private static partial Regex NerdctlScope();

    [GeneratedRegex($"^crio-{Id}(\\.scope)?$")]
    private static partial Regex CrioScope();

    [GeneratedRegex($"^libpod-{Id}(\\.scope)?$")]
    private static partial Regex LibpodScope();

    [GeneratedRegex($"^{Id}$")]
    private static partial Regex BareId();

    [GeneratedRegex("^(kubepods-(?<qos>besteffort|burstable)-)?(kubepods-)?pod(?<uid>[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(\\.slice)?$")]
    private static partial Regex PodSegment();

    [GeneratedRegex("^(kubepods-)?(?<qos>besteffort|burstable)(\\.slice)?$")]
    private static partial Regex QosSegment();

    /// <summary>The container the path belongs to, or null for a host process.</summary>
    public static ContainerIdentity? Parse(string? cgroupPath)
    {
        if (string.IsNullOrEmpty(cgroupPath))
        {
            return null;
        }

        string[] segments = cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = segments.Length - 1; i >= 0; i--)
        {
            if (ContainerAt(segments, i) is (ContainerRuntime runtime, string id))
            {
                (string? podUid, string? qos) = PodOf(segments, i);
                return new ContainerIdentity(runtime, id, podUid, qos);
            }
        }

        return null;
    }

    private static (ContainerRuntime, string)? ContainerAt(string[] segments, int index)
    {
        string segment = segments[index];
        if (Match(DockerScope(), segment) is string docker)
        {
            return (ContainerRuntime.Docker, docker);
        }

        if ((Match(ContainerdScope(), segment) ?? Match(NerdctlScope(), segment)) is string containerd)
        {
            return (ContainerRuntime.Containerd, containerd);
        }

        if (Match(CrioScope(), segment) is string crio)
        {
            return (ContainerRuntime.CriO, crio);
        }

        if (Match(LibpodScope(), segment) is string podman)
        {
            return (ContainerRuntime.Podman, podman);
        }

        if (Match(BareId(), segment) is string bare && index > 0)
        {
            // cgroupfs driver: under /docker it is Docker's; under a pod (kubelet's layout
            // does not name the CRI runtime) or a containerd namespace (/default/ID), containerd's
            return (segments[index - 1] == "docker" ? ContainerRuntime.Docker : ContainerRuntime.Containerd, bare);
        }

        return null;
    }

    private static (string? PodUid, string? Qos) PodOf(string[] segments, int containerIndex)
    {
        string? uid = null;
        string? qos = null;
        bool underKubepods = false;
        for (int i = 0; i < containerIndex; i++)
        {
            string segment = segments[i];
            underKubepods |= segment is "kubepods" or "kubepods.slice";
            Match pod = PodSegment().Match(segment);
            if (pod.Success)
            {
                uid = pod.Groups["uid"].Value.Replace('_', '-');
                qos ??= pod.Groups["qos"].Success ? pod.Groups["qos"].Value : null;
                continue;
            }

            Match qosMatch = QosSegment().Match(segment);
            if (qosMatch.Success)
            {
                qos = qosMatch.Groups["qos"].Value;
            }
        }

        if (uid is not null && qos is null && underKubepods)
        {
            qos = "guaranteed";
        }

        return (uid, qos);
    }

    private static string? Match(Regex pattern, string segment)
    {
        Match match = pattern.Match(segment);
        return match.Success ? match.Groups["id"].Value : null;
    }
}
