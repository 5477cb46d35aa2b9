using System.Text;
using System.Text.Json;
using OneWaySensor.Cli.Isolation;
using OneWaySensor.Containers;
using OneWaySensor.Linux.Cgroups;
using OneWaySensor.Linux.Isolation;

namespace OneWaySensor.Tests.Linux;

/// <summary>
/// What `onewaysensor isolate` acts on, resolved against a cgroup tree of
/// plain directories (a cgroup is a directory with cgroup.procs), with no
/// container engine; and the JSON line it prints.
/// </summary>
public sealed class IsolationTargetTests : IDisposable
{
    private const string IdA = "0c6f6a1e0d4b4e3f9a3c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708";
    private const string IdB = "0c6f6a1e0d4b99999a3c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708";
    private const string IdC = "77aa6a1e0d4b4e3f9a3c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708";
    private readonly string root = Path.Combine(Path.GetTempPath(), $"ows-isolation-tree-{Guid.NewGuid():N}");

    public IsolationTargetTests()
    {
        MakeCgroup("docker", IdA);
        MakeCgroup("docker", IdA, "child"); // a cgroup a container made below its own
        MakeCgroup("docker", IdB);
        MakeCgroup("system.slice", $"docker-{IdC}.scope");
        MakeCgroup("user.slice");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Theory]
    [InlineData("/docker/" + IdA)]
    [InlineData("docker/" + IdA + "/")]
    public void A_cgroup_path_below_the_root_names_its_container(string argument)
    {
        IsolationTarget target = Resolve(argument.StartsWith('/') ? argument : "/" + argument);

        Assert.Equal($"/docker/{IdA}", target.Cgroup.RelativePath);
        Assert.Equal(2, target.Cgroup.Level);
        Assert.Equal(FileInode.Of(Path.Combine(root, "docker", IdA)), target.Cgroup.Id);
        Assert.Equal(IdA, target.Container?.Id);
        Assert.Equal(ContainerRuntime.Docker, target.Container?.Runtime);
        Assert.Null(target.ContainerName);
    }

    [Fact]
    public void An_absolute_path_and_a_host_cgroup_work_too()
    {
        IsolationTarget target = Resolve(Path.Combine(root, "user.slice"));

        Assert.Equal("/user.slice", target.Cgroup.RelativePath);
        Assert.Equal(1, target.Cgroup.Level);
        Assert.Null(target.Container);
        Assert.Equal("cgroup /user.slice", target.Description);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/docker/../..")]
    [InlineData("/no-such-cgroup")]
    public void The_root_a_path_outside_it_and_a_missing_one_are_not_targets(string argument)
    {
        IsolationFailure failure = Assert.Throws<IsolationFailure>(() => Resolve(argument));
        Assert.StartsWith($"no cgroup at {argument}", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, failure.ExitCode);
    }

    [Fact]
    public void A_unique_id_prefix_finds_the_containers_shallowest_cgroup()
    {
        IsolationTarget target = Resolve("77aa6a1e0d4b");

        Assert.Equal($"/system.slice/docker-{IdC}.scope", target.Cgroup.RelativePath);
        Assert.Equal(IdC, target.Container?.Id);
        Assert.Equal($"/docker/{IdA}", Resolve(IdA).Cgroup.RelativePath); // not /docker/ID/child
    }

    [Fact]
    public void An_ambiguous_prefix_a_short_one_and_an_unknown_name_fail_in_one_line()
    {
        Assert.Equal("'0c6f6a1e0d4b' is ambiguous: 2 containers' ids start with it", Assert.Throws<IsolationFailure>(() => Resolve("0c6f6a1e0d4b")).Message);
        Assert.Equal("no container '0c6f6a1e0d4' found", Assert.Throws<IsolationFailure>(() => Resolve("0c6f6a1e0d4")).Message);
        Assert.Equal("no container 'web' found", Assert.Throws<IsolationFailure>(() => Resolve("web")).Message);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("-rf")]
    [InlineData("a b")]
    public void Text_that_is_no_name_id_or_path_is_a_usage_error(string argument)
    {
        IsolationFailure failure = Assert.Throws<IsolationFailure>(() => Resolve(argument));
        Assert.Equal(2, failure.ExitCode);
        Assert.Contains("is not a container id, name or cgroup path", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_line_names_the_action_container_cgroup_and_drops()
    {
        var time = new DateTimeOffset(2026, 11, 27, 22, 46, 3, 512, TimeSpan.Zero);
        var change = new IsolationChange(IsolationAction.Release, IsolationReason.Requested, 4391, $"/docker/{IdA}", time, time.AddMinutes(-2), 12, 3);

        JsonElement line = Write(change, new ContainerIdentity(ContainerRuntime.Docker, IdA), "web\u001b[31m");

        Assert.Equal("isolation", line.GetProperty("kind").GetString());
        Assert.Equal("release", line.GetProperty("action").GetString());
        Assert.Equal("requested", line.GetProperty("reason").GetString());
        Assert.Equal("2026-11-27T22:46:03.512000Z", line.GetProperty("time").GetString());
        Assert.Equal("2026-11-27T22:44:03.512000Z", line.GetProperty("isolated_since").GetString());
        Assert.Equal(IdA, line.GetProperty("container").GetProperty("id").GetString());
        Assert.Equal("web\u001b[31m", line.GetProperty("container").GetProperty("name").GetString());
        Assert.Equal("docker", line.GetProperty("container").GetProperty("runtime").GetString());
        Assert.Equal(4391ul, line.GetProperty("cgroup").GetProperty("id").GetUInt64());
        Assert.Equal($"/docker/{IdA}", line.GetProperty("cgroup").GetProperty("path").GetString());
        Assert.Equal(12ul, line.GetProperty("dropped_packets").GetProperty("egress").GetUInt64());
        Assert.Equal(3ul, line.GetProperty("dropped_packets").GetProperty("ingress").GetUInt64());
    }

    [Fact]
    public void A_host_cgroup_has_a_null_container_and_the_raw_line_escapes_control_characters()
    {
        var change = new IsolationChange(IsolationAction.Isolate, IsolationReason.PresentAtStart, 9, "/x\n", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0, 0);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        IsolationJsonWriter.Write(change, null, null, buffer);
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);

        Assert.DoesNotContain('\n', text);
        JsonElement line = JsonDocument.Parse(text).RootElement;
        Assert.Equal(JsonValueKind.Null, line.GetProperty("container").ValueKind);
        Assert.Equal("present_at_start", line.GetProperty("reason").GetString());
        Assert.Equal("isolate", line.GetProperty("action").GetString());
    }

    private IsolationTarget Resolve(string argument) =>
        IsolationTarget.ResolveAsync(argument, root, [], CancellationToken.None).GetAwaiter().GetResult();

    private void MakeCgroup(params string[] segments)
    {
        string directory = Path.Combine([root, .. segments]);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "cgroup.procs"), string.Empty);
    }

    private static JsonElement Write(IsolationChange change, ContainerIdentity? container, string? name)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        IsolationJsonWriter.Write(change, container, name, buffer);
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }
}
