namespace OneWaySensor.Cgroups;

/// <summary>Answers which cgroup an id names; implemented per operating system.</summary>
public interface ICgroupDirectory
{
    /// <summary>The cgroup's path below the cgroup v2 root ("/" for the root), or null when unknown.</summary>
    string? PathOf(ulong cgroupId);
}
