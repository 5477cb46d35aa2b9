namespace OneWaySensor.Linux.Isolation;

/// <summary>What happened to a cgroup in the deny set.</summary>
public enum IsolationAction
{
    /// <summary>Its packets, and its descendants', are dropped from now on.</summary>
    Isolate,

    /// <summary>Its packets pass again.</summary>
    Release,
}

/// <summary>Why the deny set changed.</summary>
public enum IsolationReason
{
    /// <summary>An operator ran <c>onewaysensor isolate</c> or <c>release</c>.</summary>
    Requested,

    /// <summary><c>isolate</c> of a cgroup that already was: nothing changed.</summary>
    AlreadyIsolated,

    /// <summary>The set held it when the sensor started: it was isolated before a restart.</summary>
    PresentAtStart,

    /// <summary>The cgroup is gone (its container stopped or was removed), so the sensor dropped its entry.</summary>
    CgroupRemoved,
}

/// <summary>One entry of the deny set, as read from the kernel.</summary>
/// <param name="CgroupId">The isolated cgroup (its descendants are isolated too).</param>
/// <param name="Level">Its depth below the cgroup v2 root (1 or more).</param>
/// <param name="IsolatedSince">When it was isolated.</param>
/// <param name="EgressDropped">Packets it tried to send that were dropped (a GSO packet counts as its segments).</param>
/// <param name="IngressDropped">Packets for it that were dropped.</param>
public readonly record struct IsolationEntry(ulong CgroupId, int Level, DateTimeOffset IsolatedSince, ulong EgressDropped, ulong IngressDropped);

/// <summary>
/// A change to the deny set, for the output stream: from the isolate and
/// release commands, or seen by the running sensor on a poll (a change
/// undone within one poll interval is not seen there).
/// </summary>
/// <param name="Action">Isolated or released.</param>
/// <param name="Reason">Why.</param>
/// <param name="CgroupId">The cgroup.</param>
/// <param name="CgroupPath">Its path below the cgroup v2 root, as alerts print it; null when it could not be named.</param>
/// <param name="Time">When the change was made or seen.</param>
/// <param name="IsolatedSince">When the cgroup was isolated.</param>
/// <param name="EgressDropped">Its outbound packets dropped so far (for a release seen by the sensor: as of its last read).</param>
/// <param name="IngressDropped">Its inbound packets dropped so far.</param>
public sealed record IsolationChange(
    IsolationAction Action,
    IsolationReason Reason,
    ulong CgroupId,
    string? CgroupPath,
    DateTimeOffset Time,
    DateTimeOffset IsolatedSince,
    ulong EgressDropped,
    ulong IngressDropped);
