namespace OneWaySensor.Linux.Cgroups;

/// <summary>
/// A cgroup v2 directory below the root: its id (the directory's inode, what
/// bpf_skb_cgroup_id returns) and its level (its depth below the root, what
/// bpf_skb_ancestor_cgroup_id counts; the root is level 0). The level is the
/// kernel's when the root is the whole hierarchy's, as on a host outside any
/// cgroup namespace: where the sensor runs.
/// </summary>
/// <param name="AbsolutePath">The directory.</param>
/// <param name="RelativePath">Its path below the root, as the sensor prints cgroup paths ("/docker/ID").</param>
/// <param name="Id">The cgroup id.</param>
/// <param name="Level">Its depth below the root.</param>
public sealed record CgroupNode(string AbsolutePath, string RelativePath, ulong Id, int Level)
{
    private static readonly EnumerationOptions WalkOptions = new()
    {
        RecurseSubdirectories = true,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.None,
        ReturnSpecialDirectories = false,
    };

    /// <summary>
    /// The cgroup at <paramref name="path"/>: absolute under <paramref name="root"/>,
    /// or relative to it ("/docker/ID"). Null when it is not a cgroup directory
    /// below the root (the root itself included), or it vanished.
    /// </summary>
    public static CgroupNode? At(string root, string path)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(path);
        root = root.TrimEnd('/');
        string absolute = path == root || path.StartsWith(root + "/", StringComparison.Ordinal) ? path : root + "/" + path.TrimStart('/');
        absolute = Path.GetFullPath(absolute).TrimEnd('/');
        if (!absolute.StartsWith(root + "/", StringComparison.Ordinal) || !File.Exists(Path.Combine(absolute, "cgroup.procs")))
        {
            return null;
        }

        string relative = absolute[root.Length..];
        int level = relative.Count(c => c == '/');
        return FileInode.Of(absolute) is ulong id ? new CgroupNode(absolute, relative, id, level) : null;
    }

    /// <summary>The paths below the root of every cgroup under it, the root excluded; a cgroup removed meanwhile ends the walk early.</summary>
    public static IEnumerable<string> Walk(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root = root.TrimEnd('/');
        IEnumerator<string> directories = Directory.EnumerateDirectories(root, "*", WalkOptions).GetEnumerator();
        using (directories)
        {
            while (true)
            {
                try
                {
                    if (!directories.MoveNext())
                    {
                        yield break;
                    }
                }
                catch (IOException)
                {
                    yield break;
                }

                yield return directories.Current[root.Length..];
            }
        }
    }
}
