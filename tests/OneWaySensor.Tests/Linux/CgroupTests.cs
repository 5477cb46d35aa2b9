using OneWaySensor.Linux;
using OneWaySensor.Linux.Cgroups;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Linux;

public sealed class CgroupTests : IDisposable
{
    private readonly string tree = Path.Combine(Path.GetTempPath(), $"ows-cgroup-tree-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(tree))
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    [Fact]
    public void The_cgroup2_mount_is_found_in_a_hybrid_layout()
    {
        string mountInfo = WriteMountInfo(
            "25 30 0:23 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755",
            "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate",
            "27 25 0:25 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu");
        Assert.Equal("/sys/fs/cgroup/unified", CgroupDirectory.FindRoot(mountInfo));
    }

    [Fact]
    public void Escaped_mount_points_are_unescaped_and_a_missing_cgroup2_is_null()
    {
        Assert.Equal("/mnt/my cgroups", MountInfo.ParseLine("40 1 0:50 / /mnt/my\\040cgroups rw - cgroup2 none rw", "cgroup2"));
        Assert.Null(CgroupDirectory.FindRoot(WriteMountInfo("25 30 0:23 / /sys/fs/cgroup rw - cgroup cgroup rw,cpu")));
        Assert.Null(MountInfo.ParseLine("garbage", "cgroup2"));
    }

    [Fact]
    public void Ids_resolve_to_paths_below_the_root_by_inode()
    {
        Directory.CreateDirectory(Path.Combine(tree, "docker", "abc"));
        Directory.CreateDirectory(Path.Combine(tree, "system.slice"));
        var directory = new CgroupDirectory(tree);

        Assert.Equal("/docker/abc", directory.PathOf(FileInode.Of(Path.Combine(tree, "docker", "abc"))!.Value));
        Assert.Equal("/system.slice", directory.PathOf(FileInode.Of(Path.Combine(tree, "system.slice"))!.Value));
        Assert.Equal("/", directory.PathOf(FileInode.Of(tree)!.Value));
        Assert.Equal(1, directory.Walks);
    }

    [Fact]
    public void A_miss_walks_again_but_no_more_than_the_interval_allows()
    {
        Directory.CreateDirectory(tree);
        var directory = new CgroupDirectory(tree, minimumWalkInterval: TimeSpan.FromHours(1));
        Assert.Null(directory.PathOf(123456789));
        Directory.CreateDirectory(Path.Combine(tree, "late"));
        Assert.Null(directory.PathOf(FileInode.Of(Path.Combine(tree, "late"))!.Value));
        Assert.Equal(1, directory.Walks);

        var eager = new CgroupDirectory(tree, minimumWalkInterval: TimeSpan.Zero);
        Assert.Null(eager.PathOf(123456789));
        Directory.CreateDirectory(Path.Combine(tree, "later"));
        Assert.Equal("/later", eager.PathOf(FileInode.Of(Path.Combine(tree, "later"))!.Value));
        Assert.Equal(2, eager.Walks);
    }

    [SkippableFact]
    public void A_removed_cgroup_is_told_gone_and_forgetting_it_drops_its_name()
    {
        Requirements.Root();
        using TestCgroup cgroup = TestCgroup.Create("gone");
        string root = CgroupDirectory.FindRoot()!;
        var directory = new CgroupDirectory(root, minimumWalkInterval: TimeSpan.FromHours(1));
        Assert.Equal(cgroup.RelativePath, directory.PathOf(cgroup.Id));
        Assert.False(directory.IsGone(cgroup.Id));

        Directory.Delete(cgroup.Path);
        Assert.True(directory.IsGone(cgroup.Id));
        Assert.Equal(cgroup.RelativePath, directory.PathOf(cgroup.Id)); // kept, for records still owed
        directory.Forget(cgroup.Id);
        Assert.Null(directory.PathOf(cgroup.Id));
    }

    [Theory]
    [InlineData("CapEff:\t000001ffffffffff", null)] // root
    [InlineData("CapEff:\t0000000000200000", "CAP_NET_ADMIN")] // CAP_SYS_ADMIN covers BPF and PERFMON, not NET_ADMIN
    [InlineData("CapEff:\t0000000000000000", "CAP_BPF")]
    [InlineData("CapEff:\t0000008000001000", "CAP_PERFMON")] // BPF + NET_ADMIN
    [InlineData("CapEff:\t000000c000000000", "CAP_NET_ADMIN")] // BPF + PERFMON
    [InlineData("CapEff:\t000000c000001000", null)] // the documented minimum
    public void Missing_capabilities_are_named(string statusLine, string? missing)
    {
        Assert.Equal(missing, Preflight.MissingCapability($"Name:\tx\n{statusLine}\nCapBnd:\t0\n"));
    }

    private string WriteMountInfo(params string[] lines)
    {
        Directory.CreateDirectory(tree);
        string path = Path.Combine(tree, "mountinfo");
        File.WriteAllLines(path, lines);
        return path;
    }
}
