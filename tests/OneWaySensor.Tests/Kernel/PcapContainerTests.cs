using System.Text.Json;
using OneWaySensor.Tests.Support;
using static OneWaySensor.Tests.Support.InvariantText;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The pcap fallback names containers by their addresses, as Docker's API
/// reports them: a container sending one-way to a sink container the test
/// made on the bridge is alerted as that container, captured on docker0.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class PcapContainerTests
{
    private const int WindowSeconds = 2;

    [SkippableFact]
    public void A_one_way_container_on_the_bridge_is_named_through_its_address()
    {
        Requirements.Root();
        Requirements.Built();
        using ContainerEngine docker = ContainerEngine.Docker();
        string app = docker.Name("pcap-app");
        string sink = docker.Name("pcap-sink");
        docker.RunDetached(sink, [], "sh", "-c", "while true; do nc -l -p 8080 >/dev/null; done");
        string appId = docker.RunDetached(app, [], "sleep", "60");
        string sinkAddress = ProcessRunner.Expect(docker.Run(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", sink]), "docker inspect").Stdout.Trim();
        Assert.False(string.IsNullOrEmpty(sinkAddress), "the sink has a bridge address");

        using var sensor = SensorProcess.Start("run", "--source", "pcap", "--interface", "docker0", "--engine-socket", "/var/run/docker.sock", "--window", Text(WindowSeconds), "--poll-interval", "200", "--set", "Sensor:FlowSummarySeconds=1");
        sensor.WaitForLog("sensor ready: pcap source capturing on docker0", TimeSpan.FromSeconds(30));

        // requests the sink reads and never answers, to a container the test made: one-way
        ProcessRunner.Expect(
            docker.Run(["exec", app, "sh", "-c", $"i=0; while [ $i -lt 4 ]; do timeout 1 wget -q -O /dev/null http://{sinkAddress}:8080/beacon; sleep 1; i=$((i+1)); done"]),
            "docker exec");
        sensor.WaitUntil(() => Alerts(sensor).Count > 0, TimeSpan.FromSeconds(WindowSeconds + 20), "a one-way alert through pcap");

        JsonElement alert = Alerts(sensor).First();
        Assert.Equal("container", alert.GetProperty("workload").GetString());
        JsonElement container = alert.GetProperty("container");
        Assert.Equal(appId, container.GetProperty("id").GetString());
        Assert.Equal(app, container.GetProperty("name").GetString());
        Assert.Equal("docker", container.GetProperty("runtime").GetString());
        Assert.Equal(sinkAddress, alert.GetProperty("flow").GetProperty("remote_addr").GetString());
        Assert.Equal(8080, alert.GetProperty("flow").GetProperty("remote_port").GetInt32());
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));

        // the flow summaries name the container too
        JsonElement summary = sensor.Stdout.Select(line => JsonDocument.Parse(line).RootElement)
            .First(record => record.GetProperty("kind").GetString() == "flow_summary" && record.GetProperty("remote").GetProperty("addr").GetString() == sinkAddress);
        Assert.Equal(appId, summary.GetProperty("container").GetProperty("id").GetString());
        Assert.Equal(app, summary.GetProperty("container").GetProperty("name").GetString());
    }

    private static List<JsonElement> Alerts(SensorProcess sensor) =>
        [.. sensor.Stdout.Select(line => JsonDocument.Parse(line).RootElement)
            .Where(record => record.GetProperty("kind").GetString() == "alert" && record.GetProperty("rule").GetString() == "one_way_flow")];
}
