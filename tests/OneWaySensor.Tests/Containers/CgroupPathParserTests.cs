using OneWaySensor.Containers;
using OneWaySensor.Containers.Cgroups;

namespace OneWaySensor.Tests.Containers;

/// <summary>One real-shaped path per runtime and cgroup driver, as the runtimes create them.</summary>
public sealed class CgroupPathParserTests
{
    private const string Id = "7be92808767a667f35c8505cbf40d14e931ef6db5b0210329cf193b15ba9d605";
    private const string Uid = "6e4b3d9a-1b2c-4d5e-8f90-123456789abc";
    private const string UidUnderscored = "6e4b3d9a_1b2c_4d5e_8f90_123456789abc";

    public static TheoryData<string, ContainerRuntime, string?, string?> Containers => new()
    {
        // Docker: cgroupfs driver (this machine) and systemd driver
        { $"/docker/{Id}", ContainerRuntime.Docker, null, null },
        { $"/system.slice/docker-{Id}.scope", ContainerRuntime.Docker, null, null },

        // containerd without Kubernetes: ctr's namespace directory, nerdctl's systemd scope
        { $"/default/{Id}", ContainerRuntime.Containerd, null, null },
        { $"/system.slice/nerdctl-{Id}.scope", ContainerRuntime.Containerd, null, null },

        // Kubernetes on containerd (CRI): systemd driver per QoS class, and cgroupfs
        { $"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UidUnderscored}.slice/cri-containerd-{Id}.scope", ContainerRuntime.Containerd, Uid, "burstable" },
        { $"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UidUnderscored}.slice/cri-containerd-{Id}.scope", ContainerRuntime.Containerd, Uid, "besteffort" },
        { $"/kubepods.slice/kubepods-pod{UidUnderscored}.slice/cri-containerd-{Id}.scope", ContainerRuntime.Containerd, Uid, "guaranteed" },
        { $"/kubepods/burstable/pod{Uid}/{Id}", ContainerRuntime.Containerd, Uid, "burstable" },
        { $"/kubepods/pod{Uid}/{Id}", ContainerRuntime.Containerd, Uid, "guaranteed" },

        // CRI-O: systemd and cgroupfs
        { $"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UidUnderscored}.slice/crio-{Id}.scope", ContainerRuntime.CriO, Uid, "besteffort" },
        { $"/kubepods/besteffort/pod{Uid}/crio-{Id}", ContainerRuntime.CriO, Uid, "besteffort" },

        // Kubernetes on Docker (dockershim, cri-dockerd) with the systemd driver
        { $"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UidUnderscored}.slice/docker-{Id}.scope", ContainerRuntime.Docker, Uid, "burstable" },

        // Podman: cgroupfs (this machine), systemd rootful with its inner cgroup, rootless
        { $"/libpod_parent/libpod-{Id}", ContainerRuntime.Podman, null, null },
        { $"/machine.slice/libpod-{Id}.scope", ContainerRuntime.Podman, null, null },
        { $"/machine.slice/libpod-{Id}.scope/container", ContainerRuntime.Podman, null, null },
        { $"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{Id}.scope", ContainerRuntime.Podman, null, null },
    };

    [Theory]
    [MemberData(nameof(Containers))]
    public void Every_runtime_shape_yields_its_runtime_id_and_pod(string path, ContainerRuntime runtime, string? podUid, string? qos)
    {
        ContainerIdentity? identity = CgroupPathParser.Parse(path);

        Assert.NotNull(identity);
        Assert.Equal(runtime, identity.Runtime);
        Assert.Equal(Id, identity.Id);
        Assert.Equal(podUid, identity.PodUid);
        Assert.Equal(qos, identity.QosClass);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("/user.slice/user-1000.slice/session-3.scope")]
    [InlineData("/system.slice/sshd.service")]
    [InlineData("/ows-test-oneway-1234")]
    [InlineData("/kubepods.slice/kubepods-burstable.slice")]
    [InlineData($"/machine.slice/libpod-conmon-{Id}.scope")]
    [InlineData($"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UidUnderscored}.slice/crio-conmon-{Id}.scope")]
    [InlineData("/docker/not-an-id")]
    [InlineData("/docker/7BE92808767A667F35C8505CBF40D14E931EF6DB5B0210329CF193B15BA9D605")]
    public void Host_processes_and_runtime_helpers_are_not_containers(string? path)
    {
        Assert.Null(CgroupPathParser.Parse(path));
    }

    [Fact]
    public void The_innermost_container_wins()
    {
        string inner = new('a', 64);
        ContainerIdentity? identity = CgroupPathParser.Parse($"/docker/{Id}/docker/{inner}");
        Assert.Equal(inner, identity?.Id);
    }
}
