using System.Text.Json;
using OneWaySensor.Linux.Cgroups;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The container engine goes away and comes back while the sensor runs,
/// on a dockerd of the test's own (the machine's shared one is never
/// touched) with live restore, so its container keeps sending one way over
/// its own loopback throughout. The sensor starts while the engine is down:
/// it counts the container's traffic under the id its cgroup path gives,
/// says once that the engine does not answer, and names the container in
/// the flow summaries after the engine is back. Stopped again mid-run: the
/// counting goes on, the summaries keep the name, one more line, and when
/// the engine returns a container started then is named too.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class EngineRestartTests
{
    private const string NotAnswering = "is not answering";
    private const string AnswersAgain = "answers again: its containers";

    [SkippableFact]
    public void Counting_goes_on_through_engine_outages_each_said_once_and_names_come_back_with_the_engine()
    {
        Requirements.Root();
        Requirements.Built();
        using PrivateDockerDaemon engine = PrivateDockerDaemon.Start();
        using ContainerEngine docker = ContainerEngine.Docker(engine);
        string first = docker.Name("beacon");
        ulong firstCgroup = CgroupOf(docker.RunDetached(first, ["--network", "none"], "sh", "-c", Beacon));

        // the sensor starts with the engine down: the container runs on, and is counted unnamed
        engine.Stop();
        using var sensor = SensorProcess.Start("run", "--engine-socket", engine.Socket, "--poll-interval", "200", "--set", "Sensor:FlowSummarySeconds=1");
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
        sensor.WaitForLog(NotAnswering, TimeSpan.FromSeconds(15));
        sensor.WaitUntil(() => Sending(sensor, firstCgroup).Count > 0, TimeSpan.FromSeconds(15), "the first container's traffic counted");
        Assert.All(Sending(sensor, firstCgroup), summary => Assert.Equal(JsonValueKind.Null, summary.GetProperty("container").GetProperty("name").ValueKind));

        // back: the next summaries name it (the engine backs off to at most 30 s between tries)
        engine.Resume();
        sensor.WaitUntil(() => SensorOutput.LogLines(sensor, AnswersAgain) == 1, TimeSpan.FromSeconds(40), "the engine's return said");
        sensor.WaitUntil(() => Sending(sensor, firstCgroup).Any(summary => NameOf(summary) == first), TimeSpan.FromSeconds(10), "the first container named");

        // a container started now gives the engine's stream an event, so the next outage is tried again from the shortest wait
        string second = docker.Name("late");
        ulong secondCgroup = CgroupOf(docker.RunDetached(second, ["--network", "none"], "sh", "-c", Beacon));
        sensor.WaitUntil(() => Sending(sensor, secondCgroup).Any(summary => NameOf(summary) == second), TimeSpan.FromSeconds(15), "the second container named");

        // gone again while the sensor runs: it keeps counting and naming from what it knows, and says so once
        engine.Stop();
        int countedBefore = Sending(sensor, firstCgroup).Count;
        sensor.WaitUntil(() => SensorOutput.LogLines(sensor, NotAnswering) >= 2, TimeSpan.FromSeconds(15), "the second outage said");
        sensor.WaitUntil(() => Sending(sensor, firstCgroup).Count >= countedBefore + 3, TimeSpan.FromSeconds(15), "counting through the outage");
        Assert.All(Sending(sensor, firstCgroup).Skip(countedBefore), summary => Assert.Equal(first, NameOf(summary)));

        engine.Resume();
        sensor.WaitUntil(() => SensorOutput.LogLines(sensor, AnswersAgain) == SensorOutput.LogLines(sensor, NotAnswering), TimeSpan.FromSeconds(40), "the second return said");
        JsonElement status = SensorOutput.Status(sensor);
        Assert.True(SensorOutput.Labeled(status, "engine_connected", engine.Socket) == 1, status.GetProperty("engine_connected").GetRawText());
        double reconnects = status.GetProperty("engine_reconnects_total").GetDouble();
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(30)));

        // a line per outage and one per return, however many reconnects were tried; a dockerd shutting
        // down may still take one reconnect before it is gone, which is an outage of its own
        int outages = SensorOutput.LogLines(sensor, NotAnswering);
        Assert.InRange(outages, 2, 3);
        Assert.Equal(outages, SensorOutput.LogLines(sensor, AnswersAgain));
        Assert.True(reconnects > outages, $"{reconnects} reconnects tried, {outages} outages said");
    }

    // a sink that reads and never answers (its stdin a pipe that stays open and silent), and a writer that sends to it every 200 ms
    private const string Beacon = "sleep 100000 | nc -l -p 8080 >/dev/null & sleep 1; while true; do echo beacon; sleep 0.2; done | nc 127.0.0.1 8080";

    /// <summary>Flow summaries of a cgroup with outbound packets, in order.</summary>
    private static List<JsonElement> Sending(SensorProcess sensor, ulong cgroupId) =>
        [.. SensorOutput.SummariesOf(sensor, cgroupId).Where(summary => summary.GetProperty("tx_packets").GetUInt64() > 0)];

    private static string? NameOf(JsonElement summary) =>
        summary.GetProperty("container") is { ValueKind: JsonValueKind.Object } container ? container.GetProperty("name").GetString() : null;

    /// <summary>The container's cgroup id: Docker's cgroupfs driver puts it at /docker/ID under the v2 root.</summary>
    private static ulong CgroupOf(string containerId)
    {
        string path = Path.Combine(CgroupDirectory.FindRoot()!, "docker", containerId);
        Assert.True(Directory.Exists(path), $"no cgroup at {path}");
        return FileInode.Of(path)!.Value;
    }
}
