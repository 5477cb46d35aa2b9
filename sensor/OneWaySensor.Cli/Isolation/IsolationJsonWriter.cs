using System.Buffers;
using System.Text.Json;
using OneWaySensor.Containers;
using OneWaySensor.Linux.Isolation;
using OneWaySensor.Output;

namespace OneWaySensor.Cli.Isolation;

/// <summary>
/// A change to the deny set as one JSON line, the same from the isolate and
/// release commands and from the running sensor's output stream:
/// <code>
/// {"kind":"isolation","action":"isolate","time":"...","reason":"requested",
///  "container":{"id":"...","name":"...","runtime":"docker"},
///  "cgroup":{"id":4391,"path":"/docker/..."},
///  "isolated_since":"...","dropped_packets":{"egress":0,"ingress":0}}
/// </code>
/// reason is requested, already_isolated, present_at_start (isolated before
/// the sensor started) or cgroup_removed (released because the cgroup is
/// gone). container is null for a cgroup that is not a container's, its name
/// null when no engine named it.
/// </summary>
internal static class IsolationJsonWriter
{
    public static void Write(IsolationChange change, ContainerIdentity? container, string? containerName, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(change);
        Utf8JsonWriter json = OutputJson.Begin(output);
        json.WriteStartObject();
        json.WriteString("kind", "isolation");
        json.WriteString("action", change.Action == IsolationAction.Isolate ? "isolate" : "release");
        OutputJson.WriteTime(json, "time", change.Time);
        json.WriteString("reason", ReasonName(change.Reason));
        if (container is null)
        {
            json.WriteNull("container");
        }
        else
        {
            json.WriteStartObject("container");
            json.WriteString("id", container.Id);
            json.WriteString("name", containerName);
            json.WriteString("runtime", container.RuntimeName);
            json.WriteEndObject();
        }

        json.WriteStartObject("cgroup");
        json.WriteNumber("id", change.CgroupId);
        json.WriteString("path", change.CgroupPath);
        json.WriteEndObject();
        OutputJson.WriteTime(json, "isolated_since", change.IsolatedSince);
        json.WriteStartObject("dropped_packets");
        json.WriteNumber("egress", change.EgressDropped);
        json.WriteNumber("ingress", change.IngressDropped);
        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
    }

    public static string ReasonName(IsolationReason reason) => reason switch
    {
        IsolationReason.Requested => "requested",
        IsolationReason.AlreadyIsolated => "already_isolated",
        IsolationReason.PresentAtStart => "present_at_start",
        IsolationReason.CgroupRemoved => "cgroup_removed",
        _ => "unknown",
    };
}
