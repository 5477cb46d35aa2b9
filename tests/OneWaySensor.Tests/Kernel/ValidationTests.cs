using System.Text.Json;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The ADS's validation with real Docker: `onewaysensor validate` catches the
/// emulation; and the negatives: a two-way web pair raises nothing, and an
/// allowlisted image doing exactly what the emulation does raises nothing.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class ValidationTests
{
    [SkippableFact]
    public void Validate_runs_the_ads_emulation_and_every_check_passes()
    {
        Requirements.Built();
        using ContainerEngine docker = ContainerEngine.Docker();
        bool pinnedBefore = Directory.Exists(OneWaySensor.Configuration.SensorOptions.DefaultFlowPinDirectory);

        ProcessResult result = ProcessRunner.Run(RepoPaths.SensorBinary, ["validate", "--image", docker.Image, "--window", "5", "--timeout", "60"], TimeSpan.FromSeconds(150));

        Assert.True(result.ExitCode == 0, $"validate failed:\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("validation passed", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", result.Stdout, StringComparison.Ordinal);
        foreach (string check in new[] { "one_way_flow", "beacon", "exec_then_egress", "silent_listener", "docker exec" })
        {
            Assert.Contains(check, result.Stdout, StringComparison.Ordinal);
        }

        // it tore down what it made, and its sensor left no flow map for the host's sensor to resume from
        Assert.NotEqual(0, docker.Run(["container", "inspect", "test_container"]).ExitCode);
        Assert.True(pinnedBefore || !Directory.Exists(OneWaySensor.Configuration.SensorOptions.DefaultFlowPinDirectory), "validate left its flow map pinned");
    }

    [SkippableFact]
    public void A_two_way_web_pair_raises_nothing()
    {
        Requirements.Built();
        using ContainerEngine docker = ContainerEngine.Docker();
        string web = docker.Name("web");
        string client = docker.Name("client");
        using SensorProcess sensor = SensorProcess.Start("run", "--window", "3", "--poll-interval", "200", "--engine-socket", "/var/run/docker.sock");
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));

        docker.RunDetached(web, [], "sh", "-c", "mkdir -p /www && echo hello > /www/index.html && httpd -f -p 8080 -h /www");
        Thread.Sleep(500);
        ProcessResult answered = docker.RunToEnd(client, ["--network", $"container:{web}"], "sh", "-c",
            "wget -q -O - http://127.0.0.1:8080/ && sleep 1 && wget -q -O - http://127.0.0.1:8080/ && sleep 3 && wget -q -O - http://127.0.0.1:8080/");
        Assert.True(answered.ExitCode == 0 && answered.Stdout.Contains("hello", StringComparison.Ordinal), $"the web pair did not talk: {answered.Stderr}");

        Thread.Sleep(TimeSpan.FromSeconds(5)); // past the window
        List<JsonElement> alerts = AlertsNaming(sensor, web, client);
        Assert.True(alerts.Count == 0, $"unexpected: {string.Join('\n', alerts.Select(a => a.GetProperty("summary").GetString()))}");
        Assert.Contains(sensor.Stdout, line => line.Contains("\"container_start\"", StringComparison.Ordinal) && line.Contains(web, StringComparison.Ordinal));
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));
    }

    [SkippableFact]
    public void An_allowlisted_image_doing_the_emulation_raises_nothing()
    {
        Requirements.Built();
        using ContainerEngine docker = ContainerEngine.Docker();
        string app = docker.Name("shipper");
        string sink = docker.Name("collector");
        using SensorProcess sensor = SensorProcess.Start("run", "--window", "3", "--poll-interval", "200", "--engine-socket", "/var/run/docker.sock",
            "--set", $"Detection:Allowlist:0:Image={docker.Image}", "--set", "Detection:Allowlist:0:Reason=log shipper");
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));

        docker.RunDetached(app, ["-p", "127.0.0.1::80"], "sleep", "60");
        docker.RunDetached(sink, ["--network", $"container:{app}"], "sh", "-c", "while true; do nc -l -p 8080 >/dev/null; done");
        ProcessRunner.Expect(docker.Run(["exec", app, "sh", "-c", "i=0; while [ $i -lt 4 ]; do timeout 1 wget -q -O /dev/null http://127.0.0.1:8080/beacon; sleep 1; i=$((i+1)); done"]), "docker exec");

        Thread.Sleep(TimeSpan.FromSeconds(5)); // past the window
        Assert.Empty(AlertsNaming(sensor, app, sink));
        Assert.Contains(sensor.Stdout, line => line.Contains("\"exec_create\"", StringComparison.Ordinal) && line.Contains(app, StringComparison.Ordinal));
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));
    }

    [SkippableFact]
    public void Automatic_isolation_isolates_the_alerting_container_and_records_it()
    {
        Requirements.Built();
        using ContainerEngine docker = ContainerEngine.Docker();
        string app = docker.Name("autoiso");
        string sink = docker.Name("autoiso-sink");
        using SensorProcess sensor = SensorProcess.Start("run", "--window", "3", "--poll-interval", "200", "--engine-socket", "/var/run/docker.sock",
            "--set", "Detection:AutoIsolate:0=one_way_flow");
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
        string id = docker.RunDetached(app, [], "sleep", "60");
        docker.RunDetached(sink, ["--network", $"container:{app}"], "sh", "-c", "while true; do nc -l -p 8080 >/dev/null; done");
        try
        {
            ProcessRunner.Expect(docker.Run(["exec", app, "sh", "-c", "timeout 1 wget -q -O /dev/null http://127.0.0.1:8080/once; true"]), "docker exec");

            sensor.WaitUntil(
                () => AlertsNaming(sensor, app).Any(alert => alert.GetProperty("evidence").TryGetProperty("auto_isolated", out JsonElement isolated) && isolated.GetBoolean()),
                TimeSpan.FromSeconds(30),
                "an alert that isolated the container");
            sensor.WaitUntil(
                () => sensor.Stdout.Any(line => line.Contains("\"kind\":\"isolation\"", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal)),
                TimeSpan.FromSeconds(10),
                "the isolation on the output stream");
        }
        finally
        {
            ProcessResult released = ProcessRunner.Run(RepoPaths.SensorBinary, ["release", id]);
            Assert.True(released.ExitCode == 0, released.Stderr);
        }

        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));
    }

    private static List<JsonElement> AlertsNaming(SensorProcess sensor, params string[] names) =>
        sensor.Stdout
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(record => record.GetProperty("kind").GetString() == "alert")
            .Where(alert => alert.GetProperty("container").ValueKind == JsonValueKind.Object
                && names.Contains(alert.GetProperty("container").GetProperty("name").GetString()))
            .ToList();
}
