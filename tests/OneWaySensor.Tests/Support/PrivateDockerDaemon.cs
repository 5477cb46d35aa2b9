using System.Diagnostics;
using System.Globalization;

namespace OneWaySensor.Tests.Support;

/// <summary>
/// A dockerd of the test's own, so a test may stop and start its engine
/// while other tests use the machine's: its socket, data root, exec root
/// and pid file in a temporary folder; no iptables rules, no IP forwarding;
/// live restore, so its containers keep running while it is stopped (as a
/// production engine restarted for an upgrade). Its default bridge is one of
/// its own, made here with a link-local /30: with --bridge=none, dockerd
/// deletes the host's docker0, the shared engine's, and a bridge it sized
/// itself would take a 172.x/16 the shared engine may want. Containers run
/// with --network none. Dispose removes its containers and stops it; should
/// it not come back, it kills what is left of them by their cgroups and
/// shims; then it unmounts and removes the folder and the bridge.
/// </summary>
internal sealed class PrivateDockerDaemon : IDisposable
{
    private readonly string folder;
    private readonly string bridge;
    private Process? daemon;

    private PrivateDockerDaemon(string folder, string bridge)
    {
        this.folder = folder;
        this.bridge = bridge;
    }

    public string Socket => Path.Combine(folder, "docker.sock");

    public string Host => $"unix://{Socket}";

    private string ExecRoot => Path.Combine(folder, "exec");

    public static PrivateDockerDaemon Start()
    {
        Requirements.Root();
        Requirements.Require(RepoPaths.FindOnPath("dockerd") is not null && RepoPaths.FindOnPath("docker") is not null, "needs dockerd and docker (apt-get install docker.io)");
        Requirements.Tool("ip");
        var engine = new PrivateDockerDaemon(Directory.CreateTempSubdirectory("ows-dockerd-").FullName, $"owsbr{Random.Shared.Next():x8}");
        try
        {
            engine.CreateBridge();
            engine.Resume();
            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    /// <summary>Starts the daemon (again); returns once it answers.</summary>
    public void Resume()
    {
        Assert.True(daemon is null || daemon.HasExited, "the daemon runs already");
        string arguments = string.Join(' ', new[]
        {
            "--host", Host, "--data-root", Path.Combine(folder, "data"), "--exec-root", ExecRoot, "--pidfile", Path.Combine(folder, "docker.pid"),
            $"--bridge={bridge}", "--iptables=false", "--ip-masq=false", "--ip-forward=false", "--live-restore", "--storage-driver=vfs", "--log-level=warn",
        });
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"exec dockerd {arguments} >>\"$0\" 2>&1");
        start.ArgumentList.Add(Path.Combine(folder, "dockerd.log"));
        daemon = Process.Start(start)!;

        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (ProcessRunner.Run("docker", ["--host", Host, "info"], TimeSpan.FromSeconds(30)).ExitCode != 0)
        {
            if (daemon.HasExited)
            {
                Assert.Fail($"dockerd exited ({daemon.ExitCode}): {Log()}");
            }

            Assert.True(DateTime.UtcNow < deadline, $"dockerd did not answer: {Log()}");
            Thread.Sleep(250);
        }
    }

    /// <summary>Stops the daemon as an operator would (SIGTERM); its containers keep running.</summary>
    public void Stop()
    {
        if (daemon is null || daemon.HasExited)
        {
            return;
        }

        Signals.Send(daemon.Id, Signals.Terminate);
        if (!daemon.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            daemon.Kill();
            daemon.WaitForExit();
        }
    }

    public void Dispose()
    {
        try
        {
            if (daemon is null || daemon.HasExited)
            {
                Resume();
            }

            string ids = ProcessRunner.Run("docker", ["--host", Host, "ps", "-aq"]).Stdout;
            foreach (string id in ids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                ProcessRunner.Run("docker", ["--host", Host, "rm", "-f", id], TimeSpan.FromSeconds(60));
            }
        }
#pragma warning disable CA1031 // cleanup goes on whatever failed: what is left is killed below
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        Stop();
        KillLeftovers();
        Unmount();
        Directory.Delete(folder, recursive: true);
        ProcessRunner.Run("ip", ["link", "del", bridge]);
    }

    /// <summary>The daemon's bridge, with a link-local /30 so dockerd takes no subnet anyone else may use.</summary>
    private void CreateBridge()
    {
        int block = Random.Shared.Next(1, 254);
        ProcessRunner.Expect(ProcessRunner.Run("ip", ["link", "add", bridge, "type", "bridge"]), "ip link add");
        ProcessRunner.Expect(ProcessRunner.Run("ip", ["addr", "add", $"169.254.{block}.1/30", "dev", bridge]), "ip addr add");
    }

    /// <summary>The containers of a daemon that would not come back: their processes by cgroup, then their shims.</summary>
    private void KillLeftovers()
    {
        string? root = OneWaySensor.Linux.Cgroups.CgroupDirectory.FindRoot();
        foreach (string pid in Directory.EnumerateDirectories("/proc").Select(path => Path.GetFileName(path)).Where(name => int.TryParse(name, out _)))
        {
            string[] command;
            try
            {
                command = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            }
            catch (IOException)
            {
                continue;
            }

            if (!command.Contains(Path.Combine(ExecRoot, "containerd", "containerd.sock")) && !command.Any(part => part.StartsWith(ExecRoot, StringComparison.Ordinal)))
            {
                continue;
            }

            // a shim names its container: "-id ID"
            int idAt = Array.IndexOf(command, "-id");
            if (root is not null && idAt >= 0 && idAt + 1 < command.Length && File.Exists(Path.Combine(root, "docker", command[idAt + 1], "cgroup.kill")))
            {
                File.WriteAllText(Path.Combine(root, "docker", command[idAt + 1], "cgroup.kill"), "1");
            }

            Signals.Send(int.Parse(pid, CultureInfo.InvariantCulture), 9);
        }
    }

    /// <summary>dockerd bind-mounts its data root (and leaves more below it): every mount under the folder, deepest first.</summary>
    private void Unmount()
    {
        IEnumerable<string> mounts = File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4])
            .Where(point => point.StartsWith(folder + "/", StringComparison.Ordinal))
            .OrderByDescending(point => point.Length);
        foreach (string point in mounts)
        {
            ProcessRunner.Run("umount", ["-l", point]);
        }
    }

    private string Log()
    {
        string log = Path.Combine(folder, "dockerd.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(10)) : "(no log)";
    }
}
