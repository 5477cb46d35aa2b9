using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using OneWaySensor.Configuration;
using OneWaySensor.Flows;
using OneWaySensor.Linux;
using OneWaySensor.Linux.Isolation;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The response, "isolate the container", against the real kernel: the
/// shipped `onewaysensor isolate` and `release` change the deny set the
/// running sensor pinned, its programs drop the isolated cgroup's packets
/// both ways and nobody else's, isolation lasts across a sensor restart,
/// cgroups that are gone are pruned, and the pins go when a clean stop finds
/// the set empty. Traffic stays on loopback; every cgroup and entry made
/// here is removed, however the test ends.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class IsolationTests
{
    private const string Count = "3";
    private const string Size = "64";

    [SkippableFact]
    public void Isolate_drops_a_cgroups_traffic_release_restores_it_and_the_pins_go_at_a_clean_stop()
    {
        Requirements.Root();
        Requirements.Built();
        Preflight.Run();
        int othersIsolated = IsolatedElsewhere();
        using var echo = LoopbackServer.Udp(IPAddress.Loopback, echo: true);
        using var isolated = TestCgroup.Create("isolated");
        using var bystander = TestCgroup.Create("bystander");
        using var sensor = SensorProcess.Start("run", "--poll-interval", "200", "--no-engine");
        try
        {
            sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
            Assert.True(File.Exists(Path.Combine(DenySet.PinDirectory, "isolated")), "the running sensor pins its deny set");
            TrafficResult.From(UdpEcho(isolated, echo.Port));

            JsonElement isolate = Succeeds(Cli("isolate", isolated.Path));
            AssertLine(isolate, "isolate", "requested", isolated);
            ProcessResult blocked = UdpEcho(isolated, echo.Port);
            Assert.NotEqual(0, blocked.ExitCode);
            Assert.Contains("Operation not permitted", blocked.Stderr, StringComparison.Ordinal);
            TrafficResult.From(UdpEcho(bystander, echo.Port)); // another cgroup is untouched

            JsonElement again = Succeeds(Cli("isolate", isolated.RelativePath));
            AssertLine(again, "isolate", "already_isolated", isolated);
            Assert.Equal(isolate.GetProperty("isolated_since").GetString(), again.GetProperty("isolated_since").GetString());

            // the running sensor finds it at a poll; released before that (a loaded machine can stall
            // the poll for longer than the steps above take), the sensor would never see it
            sensor.WaitUntil(() => IsolationLines(sensor, isolated, "isolate") >= 1, TimeSpan.FromSeconds(10), "the isolation on the sensor's output");

            JsonElement release = Succeeds(Cli("release", isolated.RelativePath));
            AssertLine(release, "release", "requested", isolated);
            Assert.True(release.GetProperty("dropped_packets").GetProperty("egress").GetUInt64() >= 1, "the blocked datagram was counted as dropped");
            TrafficResult echoed = TrafficResult.From(UdpEcho(isolated, echo.Port));
            Assert.Equal(ulong.Parse(Count, CultureInfo.InvariantCulture), echoed.ReceivedPackets);

            AssertOneLineError(Cli("release", isolated.RelativePath), 1, $"onewaysensor: cgroup {isolated.RelativePath} is not isolated");
            AssertOneLineError(Cli("isolate", "no-such-container-ows"), 1, "onewaysensor: no container 'no-such-container-ows' found");
            AssertOneLineError(Cli("isolate", "/no-such-cgroup-ows"), 1, "onewaysensor: no cgroup at /no-such-cgroup-ows below the cgroup v2 root");
            AssertOneLineError(Cli("isolate", "/"), 1, "onewaysensor: no cgroup at / below");
            AssertOneLineError(Cli("isolate"), 2, "onewaysensor: Required argument missing");
            AssertOneLineError(Cli("isolate", "../x"), 2, "onewaysensor: '../x' is not a container id, name or cgroup path");

            // the running sensor recorded the release too, on its own output stream
            sensor.WaitUntil(() => IsolationLines(sensor, isolated, "release") >= 1, TimeSpan.FromSeconds(10), "the release on the sensor's output");
            Assert.Equal(1, IsolationLines(sensor, isolated, "isolate"));

            Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(15)));
            if (othersIsolated == 0)
            {
                Assert.False(Directory.Exists(DenySet.PinDirectory), "a clean stop with nothing isolated removes the pins");
            }
        }
        finally
        {
            ReleaseIfIsolated(isolated.Id);
        }
    }

    [SkippableFact]
    public void Isolate_without_a_running_sensor_says_so_in_one_line()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("bpftool");
        Requirements.Require(AttachedSensors() == 0, "cannot run while another sensor runs on this machine");
        using var cgroup = TestCgroup.Create("nosensor");

        ProcessResult isolate = Cli("isolate", cgroup.Path);
        AssertOneLineError(isolate, 1, "onewaysensor: no sensor is running: ");
    }

    [SkippableFact]
    public void Without_root_isolate_says_so_in_one_line()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("setpriv");

        // root's uid with every capability gone, as the run command's own test does
        ProcessResult result = ProcessRunner.Run("setpriv", ["--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--", RepoPaths.SensorBinary, "isolate", "/x"]);

        AssertOneLineError(result, 1, "onewaysensor: isolate needs root (missing CAP_BPF): ");
    }

    [SkippableFact]
    public void Without_bpffs_run_still_works_and_isolate_says_isolation_is_unavailable()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("unshare");
        Requirements.Tool("setpriv");
        Preflight.Run(); // bpffs mounted on the host, to be unmounted in a private mount namespace only
        string log = Path.Combine(Path.GetTempPath(), $"ows-nobpffs-{Guid.NewGuid():N}.log");
        try
        {
            // without CAP_SYS_ADMIN the sensor cannot mount bpffs again
            const string Script = "umount /sys/fs/bpf || exit 90\n" +
                "setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin -- \"$0\" run --duration 2 --no-engine >/dev/null 2>\"$1\"; echo \"run=$?\"\n" +
                "\"$0\" isolate /x 2>&1; echo \"isolate=$?\"\n";
            ProcessResult result = ProcessRunner.Run("unshare", ["-m", "--propagation", "private", "sh", "-c", Script, RepoPaths.SensorBinary, log]);

            Assert.True(result.ExitCode == 0, $"unshare: {result.ExitCode} {result.Stderr}");
            string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(["run=0", "onewaysensor: isolation is unavailable: bpffs is not mounted at /sys/fs/bpf, so the sensor cannot pin its deny set (mount -t bpf bpf /sys/fs/bpf, then restart the sensor)", "isolate=1"], lines);
            string sensorLog = File.ReadAllText(log);
            Assert.Contains("onewaysensor isolate is unavailable", sensorLog, StringComparison.Ordinal);
            Assert.Contains("sensor ready", sensorLog, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [SkippableFact]
    public void The_source_reports_changes_drops_inbound_too_prunes_gone_cgroups_and_keeps_isolation_across_a_restart()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("python3");
        string root = Preflight.Run();
        int othersIsolated = IsolatedElsewhere();
        using var echo = LoopbackServer.Udp(IPAddress.Loopback, echo: true);
        using var isolated = TestCgroup.Create("kept");
        var doomed = TestCgroup.Create("doomed");
        var changes = new ConcurrentQueue<IsolationChange>();
        var options = UnpinnedOptions.Create(pollIntervalMilliseconds: 100);
        try
        {
            using (var source = new EbpfFlowSource(options, new FlowTable(), isolationChanges: changes.Enqueue))
            {
                source.Start(root);
                Assert.True(source.IsolationAvailable);
                Succeeds(Cli("isolate", isolated.RelativePath));
                Succeeds(Cli("isolate", doomed.RelativePath));
                IsolationChange seen = WaitFor(changes, c => c.CgroupId == isolated.Id);
                Assert.Equal((IsolationAction.Isolate, IsolationReason.Requested, isolated.RelativePath), (seen.Action, seen.Reason, seen.CgroupPath));

                // inbound: a receiver inside the isolated cgroup hears nothing
                Assert.Equal("timeout", ReceiveOnce(isolated));

                // a cgroup that goes away leaves the set, reported as such
                doomed.Dispose();
                IsolationChange pruned = WaitFor(changes, c => c.CgroupId == doomed.Id && c.Action == IsolationAction.Release);
                Assert.Equal(IsolationReason.CgroupRemoved, pruned.Reason);

                source.Stop();
                Assert.True(source.IsolationPinsKept, "a stop with a cgroup isolated keeps the pins");
            }

            Assert.True(File.Exists(Path.Combine(DenySet.PinDirectory, "isolated")), "the pins outlive the sensor");
            changes.Clear();
            using (var restarted = new EbpfFlowSource(options, new FlowTable(), isolationChanges: changes.Enqueue))
            {
                restarted.Start(root);
                IsolationChange present = WaitFor(changes, c => c.CgroupId == isolated.Id);
                Assert.Equal((IsolationAction.Isolate, IsolationReason.PresentAtStart), (present.Action, present.Reason));
                Assert.True(present.IngressDropped >= 1, "the datagram sent to the receiver was dropped on its way in");
                Assert.NotEqual(0, UdpEcho(isolated, echo.Port).ExitCode); // enforced again after the restart

                JsonElement release = Succeeds(Cli("release", isolated.Path));
                Assert.True(release.GetProperty("dropped_packets").GetProperty("egress").GetUInt64() >= 1);
                IsolationChange released = WaitFor(changes, c => c.CgroupId == isolated.Id && c.Action == IsolationAction.Release);
                Assert.Equal(IsolationReason.Requested, released.Reason);
                TrafficResult.From(UdpEcho(isolated, echo.Port));

                restarted.Stop();
                Assert.False(restarted.IsolationPinsKept);
            }

            if (othersIsolated == 0)
            {
                Assert.False(Directory.Exists(DenySet.PinDirectory), "nothing isolated: the last stop removed the pins");
            }
        }
        finally
        {
            ReleaseIfIsolated(isolated.Id);
            ReleaseIfIsolated(doomed.Id);
            doomed.Dispose();
        }
    }

    [SkippableFact]
    public void Two_sensors_share_the_pins_and_the_first_to_stop_leaves_them_to_the_other()
    {
        Requirements.Root();
        Requirements.Built();
        string root = Preflight.Run();
        int othersIsolated = IsolatedElsewhere();
        using var echo = LoopbackServer.Udp(IPAddress.Loopback, echo: true);
        using var isolated = TestCgroup.Create("shared");
        var options = UnpinnedOptions.Create(pollIntervalMilliseconds: 100);
        try
        {
            using var first = new EbpfFlowSource(options, new FlowTable());
            using var second = new EbpfFlowSource(options, new FlowTable());
            first.Start(root);
            second.Start(root); // reuses the first's pins

            first.Stop();
            Assert.True(first.IsolationPinsKept, "the second sensor's programs still use the pins");
            first.Dispose(); // its programs are unloaded, as when its process exits
            Succeeds(Cli("isolate", isolated.RelativePath));
            Assert.NotEqual(0, UdpEcho(isolated, echo.Port).ExitCode);
            Succeeds(Cli("release", isolated.RelativePath));

            second.Stop();
            Assert.False(second.IsolationPinsKept);
            if (othersIsolated == 0)
            {
                Assert.False(Directory.Exists(DenySet.PinDirectory));
            }
        }
        finally
        {
            ReleaseIfIsolated(isolated.Id);
        }
    }

    [SkippableFact]
    public void A_docker_container_is_isolated_by_name_and_released_by_id_prefix()
    {
        Requirements.Built();
        using ContainerEngine docker = ContainerEngine.Docker();
        string name = docker.Name("isolate");
        using var sensor = SensorProcess.Start("run", "--poll-interval", "200", "--engine-socket", "/var/run/docker.sock");
        string id = string.Empty;
        try
        {
            sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
            id = docker.RunDetached(name, [], "sh", "-c", "echo up > /tmp/index.html && exec httpd -f -p 127.0.0.1:8080 -h /tmp");
            ProcessRunner.Expect(FetchInside(docker, name, attempts: 20), "a request inside the container before isolation");

            JsonElement isolate = Succeeds(Cli("isolate", name));
            JsonElement container = isolate.GetProperty("container");
            Assert.Equal(id, container.GetProperty("id").GetString());
            Assert.Equal(name, container.GetProperty("name").GetString());
            Assert.Equal("docker", container.GetProperty("runtime").GetString());
            Assert.Equal($"/docker/{id}", isolate.GetProperty("cgroup").GetProperty("path").GetString());
            Assert.NotEqual(0, FetchInside(docker, name).ExitCode);

            JsonElement release = Succeeds(Cli("release", id[..12]));
            Assert.Equal(id, release.GetProperty("container").GetProperty("id").GetString());
            Assert.True(release.GetProperty("dropped_packets").GetProperty("egress").GetUInt64() >= 1);
            ProcessRunner.Expect(FetchInside(docker, name), "a request inside the container after release");
            Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            if (id.Length > 0 && CgroupIdOf($"/docker/{id}") is ulong cgroupId)
            {
                ReleaseIfIsolated(cgroupId);
            }
        }
    }

    /// <summary>
    /// Loopback inside the container: both ends are in its cgroup. busybox
    /// wget crashes on -T, so timeout bounds it; a few attempts while httpd starts.
    /// </summary>
    private static ProcessResult FetchInside(ContainerEngine docker, string name, int attempts = 1)
    {
        ProcessResult result = docker.Run(["exec", name, "timeout", "3", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]);
        for (int attempt = 1; attempt < attempts && result.ExitCode != 0; attempt++)
        {
            Thread.Sleep(250);
            result = docker.Run(["exec", name, "timeout", "3", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]);
        }

        return result;
    }

    /// <summary>The sensor's isolation records of the cgroup with this action.</summary>
    private static int IsolationLines(SensorProcess sensor, TestCgroup cgroup, string action) =>
        sensor.Stdout.Count(line => line.Contains("\"kind\":\"isolation\"", StringComparison.Ordinal)
            && line.Contains($"\"action\":\"{action}\"", StringComparison.Ordinal)
            && line.Contains(cgroup.RelativePath, StringComparison.Ordinal));

    private static ProcessResult Cli(params string[] arguments) =>
        ProcessRunner.Run(RepoPaths.SensorBinary, arguments, TimeSpan.FromSeconds(30));

    private static ProcessResult UdpEcho(TestCgroup cgroup, int port) =>
        cgroup.Run(RepoPaths.TrafficGenerator, "udp-echo", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), Count, Size);

    /// <summary>A datagram from this process to a receiver in the cgroup: "received", or "timeout" when it never arrives.</summary>
    private static string ReceiveOnce(TestCgroup cgroup)
    {
        const string Script = "import socket,sys\n" +
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',0)); s.settimeout(2)\n" +
            "print(s.getsockname()[1],flush=True)\n" +
            "try:\n s.recv(100); print('received')\nexcept socket.timeout:\n print('timeout')\n";
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[] { "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", cgroup.Path, "python3", "-c", Script })
        {
            start.ArgumentList.Add(argument);
        }

        using Process receiver = Process.Start(start)!;
        try
        {
            int port = int.Parse(receiver.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
            using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            sender.SendTo(new byte[32], new IPEndPoint(IPAddress.Loopback, port));
            string? answer = receiver.StandardOutput.ReadLine();
            Assert.True(receiver.WaitForExit(TimeSpan.FromSeconds(10)), "the receiver did not stop");
            return answer ?? "nothing";
        }
        finally
        {
            if (!receiver.HasExited)
            {
                receiver.Kill();
                receiver.WaitForExit();
            }
        }
    }

    private static IsolationChange WaitFor(ConcurrentQueue<IsolationChange> changes, Func<IsolationChange, bool> match)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            IsolationChange? found = changes.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no such isolation change; seen: {string.Join("; ", changes)}");
            Thread.Sleep(50);
        }
    }

    private static JsonElement Succeeds(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Empty(result.Stderr);
        string line = Assert.Single(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        JsonElement json = JsonDocument.Parse(line).RootElement.Clone();
        Assert.Equal("isolation", json.GetProperty("kind").GetString());
        return json;
    }

    private static void AssertLine(JsonElement line, string action, string reason, TestCgroup cgroup)
    {
        Assert.Equal(action, line.GetProperty("action").GetString());
        Assert.Equal(reason, line.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, line.GetProperty("container").ValueKind);
        Assert.Equal(cgroup.Id, line.GetProperty("cgroup").GetProperty("id").GetUInt64());
        Assert.Equal(cgroup.RelativePath, line.GetProperty("cgroup").GetProperty("path").GetString());
        Assert.True(DateTimeOffset.TryParse(line.GetProperty("time").GetString(), CultureInfo.InvariantCulture, out _));
    }

    private static void AssertOneLineError(ProcessResult result, int exitCode, string startsWith)
    {
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Empty(result.Stdout);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(startsWith, line, StringComparison.Ordinal);
    }

    /// <summary>Entries in a set pinned before the test, which a clean stop must keep.</summary>
    private static int IsolatedElsewhere()
    {
        if (!Directory.Exists(DenySet.PinDirectory))
        {
            return 0;
        }

        using DenySet set = DenySet.OpenPinned();
        var entries = new List<IsolationEntry>();
        set.Read(entries);
        return entries.Count;
    }

    private static void ReleaseIfIsolated(ulong cgroupId)
    {
        if (!File.Exists(Path.Combine(DenySet.PinDirectory, "isolated")))
        {
            return;
        }

        using DenySet set = DenySet.OpenPinned();
        set.Remove(cgroupId);
    }

    private static int AttachedSensors()
    {
        ProcessResult show = ProcessRunner.Run("bpftool", ["prog", "show"]);
        return show.Stdout.Split('\n').Count(line => line.Contains("name ows_egress", StringComparison.Ordinal));
    }

    private static ulong? CgroupIdOf(string path) => OneWaySensor.Linux.Cgroups.CgroupNode.At(Preflight.Run(), path)?.Id;
}
