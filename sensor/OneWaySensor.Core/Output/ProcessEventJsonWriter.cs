using System.Buffers;
using System.Text.Json;
using OneWaySensor.Containers;
using OneWaySensor.Processes;

namespace OneWaySensor.Output;

/// <summary>A process exec or exit as one JSON line: {"kind": "process_exec", "time", "cgroup", "container", "process"}.</summary>
public static class ProcessEventJsonWriter
{
    public static void Write(ProcessEvent processEvent, string? cgroupPath, ContainerIdentity? container, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(processEvent);
        Utf8JsonWriter json = OutputJson.Begin(output);
        json.WriteStartObject();
        json.WriteString("kind", processEvent.KindName);
        OutputJson.WriteTime(json, "time", processEvent.Time);
        json.WriteStartObject("cgroup");
        json.WriteNumber("id", processEvent.CgroupId);
        json.WriteString("path", cgroupPath);
        json.WriteEndObject();
        json.WriteString("workload", container is null ? "host" : "container");
        if (container is null)
        {
            json.WriteNull("container");
        }
        else
        {
            json.WriteStartObject("container");
            json.WriteString("id", container.Id);
            json.WriteString("runtime", container.RuntimeName);
            json.WriteEndObject();
        }

        json.WriteStartObject("process");
        json.WriteNumber("pid", processEvent.Pid);
        if (processEvent.ParentPid is uint parent)
        {
            json.WriteNumber("ppid", parent);
        }

        json.WriteString("comm", processEvent.Comm);
        json.WriteString("exe", processEvent.Executable);
        if (processEvent.ExitCode is int exitCode)
        {
            json.WriteNumber("exit_code", exitCode);
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
    }
}
