using OneWaySensor.Cgroups;
using OneWaySensor.Cli;
using OneWaySensor.Containers;
using OneWaySensor.Detection;

namespace OneWaySensor.Tests.Cli;

/// <summary>The detections describe every destination's cgroup on every poll: the answer is cached, and forgotten with the cgroup.</summary>
public sealed class WorkloadDirectoryTests : IAsyncDisposable
{
    private readonly ContainerEngines engines = new([]);

    public ValueTask DisposeAsync() => engines.DisposeAsync();

    [Fact]
    public void A_cgroup_is_described_once_and_the_answer_reused_until_forgotten()
    {
        var cgroups = new Paths { [7] = "/system.slice/app.service" };
        var directory = new WorkloadDirectory(cgroups, engines);

        Workload first = directory.Describe(7);
        Assert.Same(first, directory.Describe(7));
        Assert.Equal(1, cgroups.Asked);
        Assert.Equal("/system.slice/app.service", first.CgroupPath);

        directory.Forget(7);
        Assert.NotSame(first, directory.Describe(7));
        Assert.Equal(2, cgroups.Asked);
    }

    [Fact]
    public void A_cgroup_without_a_path_yet_is_asked_again()
    {
        var cgroups = new Paths();
        var directory = new WorkloadDirectory(cgroups, engines);

        Assert.Null(directory.Describe(9).CgroupPath);
        cgroups[9] = "/late";
        Assert.Equal("/late", directory.Describe(9).CgroupPath);
    }

    private sealed class Paths : Dictionary<ulong, string>, ICgroupDirectory
    {
        public int Asked { get; private set; }

        public string? PathOf(ulong cgroupId)
        {
            Asked++;
            return TryGetValue(cgroupId, out string? path) ? path : null;
        }
    }
}
