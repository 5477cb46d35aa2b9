using System.Text.Json.Nodes;
using OneWaySensor.Containers;
using OneWaySensor.Flows;

namespace OneWaySensor.Alerts;

/// <summary>
/// One alert. Its JSON form (see <see cref="AlertJsonWriter"/>) is a
/// contract: later versions only add fields.
/// </summary>
public sealed record Alert(
    DateTimeOffset Time,
    string Rule,
    AlertPriority Priority,
    string Summary,
    ulong CgroupId,
    string? CgroupPath,
    FlowState Flow,
    JsonObject Evidence)
{
    public const string Technique = "T1102.003";
    public const string Tactic = "command-and-control";

    /// <summary>The container the cgroup path names; null for a host process.</summary>
    public ContainerIdentity? Container { get; init; }

    /// <summary>What the container engine says about it, when it answered.</summary>
    public ContainerMetadata? ContainerMetadata { get; init; }

    /// <summary>The owning process's executable, from its exec event or /proc.</summary>
    public string? ProcessExecutable { get; init; }

    /// <summary>What a responder needs to verify it: the flows behind it and the workload's other destinations.</summary>
    public AlertContext? Context { get; init; }

    /// <summary>The container's recent runtime and exec events, added on the way out.</summary>
    public IReadOnlyList<RuntimeEvent> RecentRuntimeEvents { get; init; } = [];
}

public enum AlertPriority
{
    Low,
    Medium,
    High,

    /// <summary>High, and tied to an exec into the container just before.</summary>
    Critical,
}

/// <summary>Where alerts go once raised.</summary>
public interface IAlertSink
{
    void Emit(Alert alert);
}
