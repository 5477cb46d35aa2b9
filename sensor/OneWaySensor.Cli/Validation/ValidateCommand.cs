using System.CommandLine;
using System.Runtime.InteropServices;
using System.Globalization;
using System.Text.Json;

namespace OneWaySensor.Cli.Validation;

/// <summary>
/// `onewaysensor validate`: the ADS's adversary emulation, run against this
/// host. It starts the sensor, creates `test_container` with `-p 9999:80`
/// as the ADS says, a sink that reads and never answers in the container's
/// network namespace, and `docker exec`s periodic HTTP requests to it over
/// loopback; then it waits for the alerts, tears everything down and prints
/// a pass/fail report. Exit 0 when every check passed.
/// </summary>
internal static class ValidateCommand
{
    private const string Container = "test_container";
    private const string Sink = "test_container_sink";
    private const int SinkPort = 8080;

    public static Command Build()
    {
        var image = new Option<string>("--image") { Description = "the image to emulate with; it must be present locally (default alpine:latest, as the ADS)", DefaultValueFactory = _ => "alpine:latest" };
        var window = Commands.Bounded("--window", "the sensor's window in seconds for this run (default 10)", 1, 3600);
        var contacts = Commands.Bounded("--contacts", "HTTP requests the emulation sends, 2 s apart (default 10)", 1, 1000);
        var timeout = Commands.Bounded("--timeout", "seconds to wait for the alerts (default 120)", 10, 3600);
        var command = new Command("validate", "Run the ADS's adversary emulation with Docker against this host and report whether the sensor caught it.")
        {
            image, window, contacts, timeout,
        };
        command.SetAction((result, cancellation) => InterruptibleAsync(
            token => ExecuteAsync(
            result.GetValue(image)!,
            result.GetValue(window) ?? 10,
            result.GetValue(contacts) ?? 10,
            result.GetValue(timeout) ?? 120,
            token),
            cancellation));
        return command;
    }

    /// <summary>
    /// SIGINT and SIGTERM cancel the run instead of ending the process, so
    /// the teardown still removes what the emulation created.
    /// </summary>
    private static async Task<int> InterruptibleAsync(Func<CancellationToken, Task<int>> run, CancellationToken cancellation)
    {
        using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            interrupted.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        try
        {
            return await run(interrupted.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("onewaysensor validate: interrupted; what it created was removed");
            return 130;
        }
    }

    private static async Task<int> ExecuteAsync(string image, int window, int contacts, int timeoutSeconds, CancellationToken cancellation)
    {
        TimeSpan step = TimeSpan.FromSeconds(60);
        if (await Docker(["info"], step, cancellation) is { ExitCode: not 0 } info)
        {
            return Fail($"no Docker engine answers (docker info: {info.FirstErrorLine})");
        }

        if (await Docker(["image", "inspect", image], step, cancellation) is { ExitCode: not 0 })
        {
            return Fail($"image {image} is not present locally: load or import it first (validate pulls nothing)");
        }

        foreach (string name in new[] { Container, Sink })
        {
            if (await Docker(["container", "inspect", name], step, cancellation) is { ExitCode: 0 })
            {
                return Fail($"a container named {name} already exists: remove it first (docker rm -f {name})");
            }
        }

        // a validation run learns nothing into the host's baselines, and leaves no pinned flow map for the host's
        // sensor to resume from: that one would take the validation's counts as already reported
        using SensorChild sensor = SensorChild.Start(["--window", Text(window), "--poll-interval", "250", "--duration", Text(timeoutSeconds + 60), "--set", "Sensor:StatePath=", "--set", "Sensor:ControlSocket=", "--set", "Sensor:FlowPinDirectory="]);
        if (!await sensor.WaitReadyAsync(TimeSpan.FromSeconds(30), cancellation))
        {
            await sensor.StopAsync(TimeSpan.FromSeconds(10));
            return Fail($"the sensor did not start: {sensor.LastLog}");
        }

        var report = new ValidationReport();
        try
        {
            string? problem = await EmulateAsync(image, contacts, step, cancellation);
            if (problem is not null)
            {
                report.Add("emulation", false, problem);
            }
            else
            {
                await WaitForChecksAsync(sensor, TimeSpan.FromSeconds(timeoutSeconds), report, cancellation);
            }
        }
        finally
        {
            await Docker(["rm", "-f", Container, Sink], step, CancellationToken.None);
            int exit = await sensor.StopAsync(TimeSpan.FromSeconds(30));
            report.Add("sensor stopped cleanly", exit == 0, $"exit code {exit}");
        }

        report.WriteTo(Console.Out);
        return report.Passed ? 0 : Program.Failure;
    }

    /// <summary>The ADS's commands, with the beacon kept on loopback inside the container's network namespace.</summary>
    private static async Task<string?> EmulateAsync(string image, int contacts, TimeSpan step, CancellationToken cancellation)
    {
        string loop = $"i=0; while [ $i -lt {contacts} ]; do timeout 1 wget -q -O /dev/null http://127.0.0.1:{SinkPort}/beacon; sleep 2; i=$((i+1)); done";
        string[][] commands =
        [
            ["run", "-d", "--name", Container, "-p", "9999:80", image, "sleep", "infinity"],
            ["run", "-d", "--name", Sink, "--network", $"container:{Container}", image, "sh", "-c", $"while true; do nc -l -p {SinkPort} >/dev/null; done"],
            ["exec", "-d", Container, "sh", "-c", loop],
        ];
        foreach (string[] command in commands)
        {
            if (await Docker(command, step, cancellation) is { ExitCode: not 0 } failed)
            {
                return $"docker {string.Join(' ', command.Take(3))}: {failed.FirstErrorLine}";
            }
        }

        return null;
    }

    private static async Task WaitForChecksAsync(SensorChild sensor, TimeSpan timeout, ValidationReport report, CancellationToken cancellation)
    {
        (string Check, Func<JsonElement, bool> Match)[] checks =
        [
            ("docker exec seen as a runtime event with its command", r => Kind(r) is "exec_create" or "exec_start" && Named(r) && (Text(r, "command")?.Contains("wget", StringComparison.Ordinal) ?? false)),
            ("one_way_flow alert on test_container to the silent sink", r => Alert(r, "one_way_flow") && Named(r) && RemotePort(r) == SinkPort),
            ("beacon alert on the periodic requests", r => Alert(r, "beacon") && Named(r) && RemotePort(r) == SinkPort),
            ("exec_then_egress alert naming the exec'd command", r => Alert(r, "exec_then_egress") && Named(r)),
            ("silent_listener alert on the published port 9999", r => Alert(r, "silent_listener") && Named(r)),
        ];
        DateTime deadline = DateTime.UtcNow + timeout;
        var found = new JsonElement?[checks.Length];
        while (DateTime.UtcNow < deadline && found.Any(f => f is null))
        {
            for (int i = 0; i < checks.Length; i++)
            {
                found[i] ??= sensor.Records.Cast<JsonElement?>().FirstOrDefault(record => checks[i].Match(record!.Value));
            }

            await Task.Delay(250, cancellation);
        }

        for (int i = 0; i < checks.Length; i++)
        {
            report.Add(checks[i].Check, found[i] is not null, found[i] is JsonElement record ? Describe(record) : $"not seen in {timeout.TotalSeconds:0} s");
        }
    }

    private static string Describe(JsonElement record) =>
        Kind(record) == "alert"
            ? $"{Text(record, "priority")}: {Text(record, "summary")}"
            : $"{Kind(record)}: {Text(record, "command")}";

    private static bool Alert(JsonElement record, string rule) => Kind(record) == "alert" && Text(record, "rule") == rule;

    private static bool Named(JsonElement record) =>
        record.TryGetProperty("container", out JsonElement container) && container.ValueKind == JsonValueKind.Object
        && container.TryGetProperty("name", out JsonElement name) && name.GetString() == Container;

    private static int RemotePort(JsonElement record) =>
        record.TryGetProperty("flow", out JsonElement flow) ? flow.GetProperty("remote_port").GetInt32() : -1;

    private static string? Kind(JsonElement record) => Text(record, "kind");

    private static string? Text(JsonElement record, string property) =>
        record.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static Task<ChildProcess.Result> Docker(IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellation) =>
        ChildProcess.RunAsync("docker", arguments, timeout, cancellation);

    private static int Fail(string problem)
    {
        Console.Error.WriteLine($"onewaysensor validate: {problem}");
        return Program.Failure;
    }
}
