using System.Text.Json;
using OneWaySensor.Containers;

namespace OneWaySensor.Output;

/// <summary>The "container" object of alerts and runtime events.</summary>
public static class ContainerJsonWriter
{
    /// <summary>"cgroup": {"id", "path"}, "workload": "host" or "container", and "container": null or the object below.</summary>
    public static void WriteWorkload(Utf8JsonWriter json, ulong cgroupId, string? cgroupPath, ContainerIdentity? container, ContainerMetadata? metadata)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject("cgroup");
        json.WriteNumber("id", cgroupId);
        json.WriteString("path", cgroupPath);
        json.WriteEndObject();
        json.WriteString("workload", container is null ? "host" : "container");
        if (container is null)
        {
            json.WriteNull("container");
        }
        else
        {
            Write(json, container, metadata);
        }
    }

    /// <summary>{"id", "name", "image", "runtime", "labels", "published_ports", "pod", "namespace", ...}.</summary>
    public static void Write(Utf8JsonWriter json, ContainerIdentity identity, ContainerMetadata? metadata)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(identity);
        json.WriteStartObject("container");
        json.WriteString("id", identity.Id);
        json.WriteString("name", metadata?.Name);
        json.WriteString("image", metadata?.Image);
        json.WriteString("runtime", identity.RuntimeName);
        json.WriteString("pod_uid", identity.PodUid);
        json.WriteString("qos_class", identity.QosClass);
        if (metadata is null)
        {
            json.WriteBoolean("metadata_known", false);
        }
        else
        {
            json.WriteBoolean("metadata_known", true);
            WriteRuntimeFacts(json, metadata);
        }

        json.WriteEndObject();
    }

    /// <summary>The engine's facts: labels, published ports, pod, namespace, network mode, privileged.</summary>
    public static void WriteRuntimeFacts(Utf8JsonWriter json, ContainerMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(metadata);
        json.WriteStartObject("labels");
        foreach (KeyValuePair<string, string> label in metadata.Labels)
        {
            json.WriteString(label.Key, label.Value);
        }

        json.WriteEndObject();
        json.WriteStartArray("published_ports");
        foreach (PublishedPort port in metadata.PublishedPorts)
        {
            json.WriteStartObject();
            json.WriteString("protocol", port.Protocol);
            json.WriteNumber("container_port", port.ContainerPort);
            json.WriteString("host_ip", port.HostIp);
            if (port.HostPort is int hostPort)
            {
                json.WriteNumber("host_port", hostPort);
            }
            else
            {
                json.WriteNull("host_port");
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("pod", metadata.PodName);
        json.WriteString("namespace", metadata.PodNamespace);
        json.WriteString("kubernetes_container", metadata.KubernetesContainerName);
        json.WriteString("network_mode", metadata.NetworkMode);
        json.WriteBoolean("host_network", metadata.HostNetwork);
        json.WriteBoolean("privileged", metadata.Privileged);
    }
}
