namespace OneWaySensor.Containers.Engine;

/// <summary>
/// Bounds on what the engine may hand the sensor. Names, labels and commands
/// are set by whoever runs a container, so no answer may cost unbounded memory.
/// </summary>
internal static class EngineLimits
{
    /// <summary>Largest inspect body or single event; a real inspect body is a few KiB.</summary>
    public const int MaxAnswerBytes = 1 << 20;

    /// <summary>Largest container list: about 1.5 KiB a container, so room for thousands.</summary>
    public const int MaxListBytes = 32 << 20;

    /// <summary>Labels kept per container; the rest are dropped and counted.</summary>
    public const int MaxLabels = 256;

    /// <summary>Longest label key or value, name, image or command kept, in UTF-16 chars; longer text is cut.</summary>
    public const int MaxTextLength = 4096;

    /// <summary>Port bindings kept per container (a published range yields one per port).</summary>
    public const int MaxPorts = 1024;

    /// <summary>Longest container id accepted; Docker and Podman ids are 64 hex digits.</summary>
    public const int MaxIdLength = 128;
}
