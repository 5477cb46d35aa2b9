using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The shipped sensor against real containers on a real engine: alerts name
/// the container, its image, its id and the sending process; `docker exec`
/// shows up as a runtime event with its command; a container that is gone
/// before its alert is still named; Podman works through its
/// Docker-compatible socket with the same client.
/// Debian's busybox wget crashes on its own -T option, so `timeout 1 wget`
/// bounds each request instead.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class ContainerAttributionTests
{
    private const string DockerSocket = "/var/run/docker.sock";

    [SkippableFact]
    public void A_one_way_container_is_named_with_its_image_id_ports_and_process_and_its_exec_is_reported()
    {
        Requirements.Built();
        using ContainerEngine docker = ContainerEngine.Docker();
        string app = docker.Name("app");
        string sink = docker.Name("sink");
        string controlSocket = SensorProcess.ControlSocketFor(Guid.NewGuid());
        using SensorProcess sensor = StartSensor(DockerSocket, "--set", $"Sensor:ControlSocket={controlSocket}");

        // the ADS's own shape: a published port, and a sink in the same network namespace that never answers
        string appId = docker.RunDetached(app, ["-p", "127.0.0.1:19999:80"], "sleep", "60");
        docker.RunDetached(sink, ["--network", $"container:{app}"], "sh", "-c", "while true; do nc -l -p 8080 >/dev/null; done");
        ProcessRunner.Expect(
            docker.Run(["exec", app, "sh", "-c", "i=0; while [ $i -lt 3 ]; do timeout 1 wget -q -O /dev/null http://127.0.0.1:8080/beacon; sleep 1; i=$((i+1)); done"]),
            "docker exec");

        JsonElement alert = WaitForAlert(sensor, alert => ContainerId(alert) == appId && RemotePort(alert) == 8080);
        JsonElement container = alert.GetProperty("container");
        Assert.Equal("container", alert.GetProperty("workload").GetString());
        Assert.Equal(app, container.GetProperty("name").GetString());
        Assert.Equal(docker.Image, container.GetProperty("image").GetString());
        Assert.Equal("docker", container.GetProperty("runtime").GetString());
        Assert.Equal($"/docker/{appId}", alert.GetProperty("cgroup").GetProperty("path").GetString());
        JsonElement port = Assert.Single(container.GetProperty("published_ports").EnumerateArray());
        Assert.Equal(80, port.GetProperty("container_port").GetInt32());
        Assert.Equal(19999, port.GetProperty("host_port").GetInt32());
        Assert.Equal("tcp", port.GetProperty("protocol").GetString());

        // the sender: the process whose exec the kernel reported in that container
        JsonElement process = alert.GetProperty("process");
        uint pid = process.GetProperty("pid").GetUInt32();
        // busybox re-executes itself (comm "exe" at exec) and then names itself after the applet
        Assert.Equal("wget", process.GetProperty("comm").GetString());
        JsonElement exec = Lines(sensor).Last(line => Kind(line) == "process_exec" && line.GetProperty("process").GetProperty("pid").GetUInt32() == pid);
        Assert.Equal(appId, ContainerId(exec));
        Assert.Equal(exec.GetProperty("process").GetProperty("exe").GetString(), process.GetProperty("exe").GetString());

        // docker exec, with its command, on the same stream
        Assert.Contains(Lines(sensor), line => Kind(line) is "exec_create" or "exec_start" && ContainerId(line) == appId
            && line.GetProperty("command").GetString()!.Contains("wget -q -O /dev/null", StringComparison.Ordinal));
        Assert.Contains(Lines(sensor), line => Kind(line) == "container_start" && ContainerId(line) == appId);

        // onewaysensor investigate asks the running sensor for the responder's picture
        ProcessResult investigated = ProcessRunner.Run(RepoPaths.SensorBinary, ["investigate", app, "--control-socket", controlSocket, "--engine-socket", DockerSocket]);
        Assert.True(investigated.ExitCode == 0, investigated.Stderr);
        using (JsonDocument report = JsonDocument.Parse(investigated.Stdout))
        {
            JsonElement root = report.RootElement;
            Assert.Equal("investigation", root.GetProperty("kind").GetString());
            Assert.Equal(app, root.GetProperty("container").GetProperty("name").GetString());
            Assert.Contains(root.GetProperty("destinations").EnumerateArray(), d => d.GetProperty("port").GetInt32() == 8080 && d.GetProperty("flows").GetArrayLength() > 0);
            Assert.Contains(root.GetProperty("recent_runtime_events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "exec_create");
            Assert.Contains(root.GetProperty("recent_alerts").EnumerateArray(), a => a.GetProperty("rule").GetString() == "one_way_flow");
        }

        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));
        Assert.False(File.Exists(controlSocket), "the control socket is removed at stop");
    }

    [SkippableFact]
    public void A_container_that_sends_and_is_gone_within_seconds_is_still_named()
    {
        Requirements.Built();
        using ContainerEngine docker = ContainerEngine.Docker();
        string name = docker.Name("brief");
        using var hostSink = LoopbackServer.Tcp(IPAddress.Loopback, echo: false);
        using SensorProcess sensor = StartSensor(DockerSocket);

        var clock = Stopwatch.StartNew();
        ProcessResult brief = docker.RunToEnd(name, ["--rm", "--network", "host"], "sh", "-c", $"timeout 1 wget -q -O /dev/null http://127.0.0.1:{hostSink.Port}/once; true");
        Assert.True(brief.ExitCode == 0, brief.Stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the container should have been short-lived");

        JsonElement alert = WaitForAlert(sensor, alert => RemotePort(alert) == hostSink.Port && alert.GetProperty("workload").GetString() == "container");
        Assert.Equal(name, alert.GetProperty("container").GetProperty("name").GetString());
        Assert.Equal(docker.Image, alert.GetProperty("container").GetProperty("image").GetString());
        Assert.Contains(Lines(sensor), line => Kind(line) == "container_destroy" && ContainerId(line) == ContainerId(alert));
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));
    }

    [SkippableFact]
    public void A_podman_container_is_named_through_podmans_docker_compatible_socket()
    {
        Requirements.Built();
        using ContainerEngine podman = ContainerEngine.Podman();
        string socket = Path.Combine(Path.GetTempPath(), $"ows-podman-{Guid.NewGuid():N}.sock");
        using Process service = StartPodmanService(socket);
        try
        {
            string name = podman.Name("podman");
            using var hostSink = LoopbackServer.Tcp(IPAddress.Loopback, echo: false);
            using SensorProcess sensor = StartSensor(socket);

            ProcessResult run = podman.RunToEnd(name, ["--network", "host"], "sh", "-c", $"timeout 1 wget -q -O /dev/null http://127.0.0.1:{hostSink.Port}/once; true");
            Assert.True(run.ExitCode == 0, run.Stderr);

            JsonElement alert = WaitForAlert(sensor, alert => RemotePort(alert) == hostSink.Port && alert.GetProperty("workload").GetString() == "container");
            JsonElement container = alert.GetProperty("container");
            Assert.Equal("podman", container.GetProperty("runtime").GetString());
            Assert.Equal(name, container.GetProperty("name").GetString());
            Assert.Contains(podman.Image, container.GetProperty("image").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("/libpod_parent/libpod-", alert.GetProperty("cgroup").GetProperty("path").GetString(), StringComparison.Ordinal);
            Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            service.Kill();
            service.WaitForExit();
            File.Delete(socket);
        }
    }

    private static SensorProcess StartSensor(string engineSocket, params string[] more)
    {
        SensorProcess sensor = SensorProcess.Start(["run", "--window", "2", "--poll-interval", "200", "--engine-socket", engineSocket, .. more]);
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
        return sensor;
    }

    private static Process StartPodmanService(string socket)
    {
        var start = new ProcessStartInfo("podman") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[] { "system", "service", "--time=0", $"unix://{socket}" })
        {
            start.ArgumentList.Add(argument);
        }

        Process service = Process.Start(start)!;
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(socket))
        {
            Assert.True(DateTime.UtcNow < deadline && !service.HasExited, "podman system service did not create its socket");
            Thread.Sleep(100);
        }

        return service;
    }

    private static JsonElement WaitForAlert(SensorProcess sensor, Func<JsonElement, bool> match)
    {
        JsonElement? found = null;
        sensor.WaitUntil(
            () => (found = Lines(sensor).Where(line => Kind(line) == "alert").Cast<JsonElement?>().FirstOrDefault(line => match(line!.Value))) is not null,
            TimeSpan.FromSeconds(30),
            "the container's alert");
        return found!.Value;
    }

    private static List<JsonElement> Lines(SensorProcess sensor) =>
        sensor.Stdout.Select(line => JsonDocument.Parse(line).RootElement).ToList();

    private static string? Kind(JsonElement line) => line.GetProperty("kind").GetString();

    private static string? ContainerId(JsonElement line) =>
        line.TryGetProperty("container", out JsonElement container) && container.ValueKind == JsonValueKind.Object
            ? container.GetProperty("id").GetString()
            : null;

    private static int RemotePort(JsonElement alert) => alert.GetProperty("flow").GetProperty("remote_port").GetInt32();
}
