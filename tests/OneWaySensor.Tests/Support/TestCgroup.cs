using OneWaySensor.Linux.Cgroups;

namespace OneWaySensor.Tests.Support;

/// <summary>
/// A cgroup of the test's own under the cgroup v2 root. Programs run inside
/// it by a shell that moves itself in and then execs them. Disposing moves
/// any process left back to the root and removes the cgroup.
/// </summary>
internal sealed class TestCgroup : IDisposable
{
    // a shell moves itself in, then becomes the program
    private static readonly string[] EnterAndExec = ["-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\""];

    private readonly string root;

    private TestCgroup(string root, string path, ulong id)
    {
        this.root = root;
        Path = path;
        Id = id;
    }

    public string Path { get; }

    /// <summary>The cgroup id: what bpf_skb_cgroup_id returns for its sockets.</summary>
    public ulong Id { get; }

    /// <summary>The path below the v2 root, as the sensor reports it.</summary>
    public string RelativePath => Path[root.Length..];

    public static TestCgroup Create(string purpose)
    {
        string root = CgroupDirectory.FindRoot() ?? throw new InvalidOperationException("no cgroup v2 mount");
        string path = System.IO.Path.Combine(root, $"ows-test-{purpose}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(path);
        ulong id = FileInode.Of(path) ?? throw new InvalidOperationException($"cannot stat {path}");
        return new TestCgroup(root, path, id);
    }

    /// <summary>Runs a program inside this cgroup to completion.</summary>
    public ProcessResult Run(string program, params string[] arguments) =>
        ProcessRunner.Run("/bin/sh", [.. EnterAndExec, Path, program, .. arguments]);

    /// <summary>Starts a program inside this cgroup and returns while it runs.</summary>
    public BackgroundProcess Start(string program, params string[] arguments) =>
        BackgroundProcess.Start("/bin/sh", [.. EnterAndExec, Path, program, .. arguments]);

    /// <summary>The cgroup's processes back to the root, then the directory removed: it is gone when this returns.</summary>
    public void Remove()
    {
        Dispose();
        Assert.False(Directory.Exists(Path), $"{Path} could not be removed");
    }

    public void Dispose()
    {
        string procs = System.IO.Path.Combine(Path, "cgroup.procs");
        for (int attempt = 0; attempt < 50 && Directory.Exists(Path); attempt++)
        {
            foreach (string pid in File.Exists(procs) ? File.ReadAllLines(procs) : [])
            {
                TryMoveToRoot(pid);
            }

            try
            {
                Directory.Delete(Path);
            }
            catch (IOException)
            {
                Thread.Sleep(100); // a process was still leaving
            }
        }
    }

    private void TryMoveToRoot(string pid)
    {
        try
        {
            File.WriteAllText(System.IO.Path.Combine(root, "cgroup.procs"), pid);
        }
        catch (IOException)
        {
            // it exited meanwhile
        }
    }
}
