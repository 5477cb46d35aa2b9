using System.Collections.Concurrent;
using OneWaySensor.Cgroups;

namespace OneWaySensor.Linux.Cgroups;

/// <summary>
/// Resolves cgroup ids to paths below the cgroup v2 root. Ids are directory
/// inodes, so a miss walks the tree once and caches every directory found;
/// walks are rate-limited so a flood of unknown ids costs one walk a second.
/// Answers are cached for the sensor's life: a removed cgroup keeps its name.
/// </summary>
public sealed class CgroupDirectory : ICgroupDirectory
{
    private static readonly EnumerationOptions WalkOptions = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.None,
        ReturnSpecialDirectories = false,
    };

    private readonly ConcurrentDictionary<ulong, string> paths = new();
    private readonly TimeProvider time;
    private readonly TimeSpan minimumWalkInterval;
    private readonly Lock walkLock = new();
    private long lastWalkTimestamp;
    private bool walkedOnce;

    public CgroupDirectory(string root, TimeSpan? minimumWalkInterval = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        Root = root.TrimEnd('/');
        this.time = time ?? TimeProvider.System;
        this.minimumWalkInterval = minimumWalkInterval ?? TimeSpan.FromSeconds(1);
    }

    /// <summary>The cgroup v2 mount point this directory walks.</summary>
    public string Root { get; }

    /// <summary>Tree walks done so far (tests and the health output read it).</summary>
    public int Walks { get; private set; }

    /// <summary>The cgroup v2 root of this machine, from /proc/self/mountinfo.</summary>
    public static string? FindRoot(string mountInfoPath = MountInfo.SelfPath) =>
        MountInfo.FindMountPoint("cgroup2", mountInfoPath);

    public string? PathOf(ulong cgroupId)
    {
        if (paths.TryGetValue(cgroupId, out string? path))
        {
            return path;
        }

        lock (walkLock)
        {
            if (paths.TryGetValue(cgroupId, out path))
            {
                return path;
            }

            if (walkedOnce && time.GetElapsedTime(lastWalkTimestamp) < minimumWalkInterval)
            {
                return null;
            }

            Walk();
            return paths.GetValueOrDefault(cgroupId);
        }
    }

    private void Walk()
    {
        walkedOnce = true;
        lastWalkTimestamp = time.GetTimestamp();
        Walks++;
        Remember(Root);
        try
        {
            foreach (string directory in Directory.EnumerateDirectories(Root, "*", WalkOptions))
            {
                Remember(directory);
            }
        }
        catch (IOException)
        {
            // a cgroup removed mid-walk ends the walk early; the next miss walks again
        }
    }

    private void Remember(string directory)
    {
        if (FileInode.Of(directory) is ulong inode)
        {
            string relative = directory.Length == Root.Length ? "/" : directory[Root.Length..];
            paths.TryAdd(inode, relative);
        }
    }
}
