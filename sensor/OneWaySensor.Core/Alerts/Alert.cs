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
}

public enum AlertPriority
{
    Low,
    Medium,
    High,
}

/// <summary>Where alerts go once raised.</summary>
public interface IAlertSink
{
    void Emit(Alert alert);
}
