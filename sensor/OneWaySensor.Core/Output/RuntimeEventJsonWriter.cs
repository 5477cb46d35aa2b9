using System.Buffers;
using System.Text.Json;
using OneWaySensor.Containers;

namespace OneWaySensor.Output;

/// <summary>A container runtime event as one JSON line: {"kind": "container_start", "time", "container": {...}, ...}.</summary>
public static class RuntimeEventJsonWriter
{
    public static void Write(RuntimeEvent runtimeEvent, ContainerMetadata? metadata, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(runtimeEvent);
        Utf8JsonWriter json = OutputJson.Begin(output);
        json.WriteStartObject();
        json.WriteString("kind", runtimeEvent.KindName);
        OutputJson.WriteTime(json, "time", runtimeEvent.Time);
        json.WriteStartObject("container");
        json.WriteString("id", runtimeEvent.ContainerId);
        json.WriteString("name", runtimeEvent.ContainerName ?? metadata?.Name);
        json.WriteString("image", runtimeEvent.Image ?? metadata?.Image);
        if (metadata is not null)
        {
            ContainerJsonWriter.WriteRuntimeFacts(json, metadata);
        }

        json.WriteEndObject();
        if (runtimeEvent.Command is not null)
        {
            json.WriteString("command", runtimeEvent.Command);
        }

        if (runtimeEvent.Healthcheck)
        {
            json.WriteBoolean("healthcheck", true);
        }

        if (runtimeEvent.Network is not null)
        {
            json.WriteString("network", runtimeEvent.Network);
        }

        if (runtimeEvent.ExitCode is int exitCode)
        {
            json.WriteNumber("exit_code", exitCode);
        }

        json.WriteEndObject();
        json.Flush();
    }
}
