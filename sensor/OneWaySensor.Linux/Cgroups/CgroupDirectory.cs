using System.Collections.Concurrent;
using OneWaySensor.Cgroups;

namespace OneWaySensor.Linux.Cgroups;

/// <summary>
/// Resolves cgroup ids to paths below the cgroup v2 root. A miss opens the
/// cgroup by its id (<see cref="CgroupHandle"/>), which finds even a cgroup
/// that lives a second; where that is not allowed, it walks the tree (ids
/// are directory inodes) and caches every directory found, at most one walk
/// a second. Answers are cached: a removed cgroup keeps its name, so call
/// <see cref="PathOf"/> when a cgroup is first seen, and <see cref="Forget"/>
/// once it is gone and nothing needs its name any more.
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

        if (CgroupHandle.PathOf(Root, cgroupId) is string absolute && absolute.StartsWith(Root, StringComparison.Ordinal))
        {
            path = absolute.Length == Root.Length ? "/" : absolute[Root.Length..];
            return paths.GetOrAdd(cgroupId, path);
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

    /// <summary>
    /// True when the cgroup no longer exists: asked by id where this process
    /// may, else by the path it had, whose inode must still be the id. False
    /// when it exists or cannot be told (no path known).
    /// </summary>
    public bool IsGone(ulong cgroupId)
    {
        if (CgroupHandle.Exists(Root, cgroupId) is bool exists)
        {
            return !exists;
        }

        return paths.TryGetValue(cgroupId, out string? path) && FileInode.Of(path == "/" ? Root : Root + path) != cgroupId;
    }

    /// <summary>Drops a cgroup's cached path: the cache follows the cgroups that exist, where containers come and go.</summary>
    public void Forget(ulong cgroupId) => paths.TryRemove(cgroupId, out _);

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
