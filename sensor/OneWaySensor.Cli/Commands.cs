using System.Globalization;
using System.CommandLine;
using OneWaySensor.Configuration;

namespace OneWaySensor.Cli;

/// <summary>The command line: every command, option and range in one place.</summary>
internal static class Commands
{
    public static RootCommand Build()
    {
        var root = new RootCommand("OneWaySensor: detects one-way communication (MITRE ATT&CK T1102.003) from containers with eBPF.");
        root.Subcommands.Add(BuildRun());
        root.Subcommands.Add(Validation.ValidateCommand.Build());
        root.Subcommands.Add(Control.InvestigateCommand.Build());
        Isolation.IsolationCommands.AddTo(root);
        root.Subcommands.Add(Health.StatusCommand.Build());
        root.Subcommands.Add(Top.TopCommand.Build());
        root.Subcommands.Add(History.AlertsCommand.Build());
        root.Subcommands.Add(Export.TailCommand.Build());
        root.Subcommands.Add(ConfigCommand.Build());
        root.Subcommands.Add(Replay.ReplayCommand.Build());
        return root;
    }

    private static Command BuildRun()
    {
        var config = new Option<FileInfo?>("--config") { Description = "JSON config file; its \"Sensor\" section holds any setting below" };
        var alerts = new Option<string?>("--alerts") { Description = "also append alerts, as JSON lines, to this file" };
        var window = Bounded("--window", "seconds a flow must send without receiving before it alerts (default 60)", 1, 86_400);
        var duration = Bounded("--duration", "stop by itself after this many seconds (default: run until SIGINT/SIGTERM)", 1, int.MaxValue);
        var pollInterval = Bounded("--poll-interval", "milliseconds between reads of the kernel's flow counters (default 1000)", 50, 60_000);
        var flowMapEntries = Bounded("--flow-map-entries", "flows the kernel tracks at once (default 65536)", 1024, 16 * 1024 * 1024);
        var engineSockets = EngineSocketsOption();
        var noEngine = new Option<bool>("--no-engine") { Description = "ask no container engine: containers are named from their cgroup paths only" };
        var hostProcessEvents = new Option<bool>("--host-process-events") { Description = "also print exec and exit events of host processes, not only of containers'" };
        var export = new Option<string?>("--export")
        {
            Description = "serve every record as MessagePack to sidecars on a Unix socket: unix:PATH",
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
                if (ExportOptions.ParseAddress(text) is string path)
                {
                    return path;
                }

                result.AddError($"--export must be unix:/ABSOLUTE/PATH, at most {UnixSocketPath.MaxBytes} bytes, got '{text}'");
                return null;
            },
        };
        var metrics = new Option<string?>("--metrics")
        {
            Description = "serve Prometheus metrics on this loopback ADDRESS:PORT, e.g. 127.0.0.1:9477",
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
                if (MetricsEndpoint.Parse(text).Error is string problem)
                {
                    result.AddError($"--metrics {problem}");
                    return null;
                }

                return text;
            },
        };
        var source = new Option<string?>("--source") { Description = "where flows come from: auto (eBPF, else pcap, saying why), ebpf or pcap (default auto)" };
        source.AcceptOnlyFromAmong("auto", "ebpf", "pcap");
        var captureInterface = new Option<string?>("--interface") { Description = "the interface the pcap source captures on (default any)" };
        var state = new Option<string?>("--state") { Description = $"the SQLite file of alert history and baselines (default {SensorOptions.DefaultStatePath}; '' keeps them in memory)" };
        var outputFile = new Option<string?>("--output-file") { Description = "also append every record, as JSON lines, to this file (rotated by size)" };
        var settings = new Option<string[]>("--set")
        {
            Description = "set any config key, e.g. --set Detection:UnansweredConnect:Attempts=5 (repeatable; wins over the file)",
            AllowMultipleArgumentsPerToken = false,
        };

        var run = new Command("run", "Load the eBPF programs, watch every cgroup's flows and emit alerts and events as JSON lines on stdout (and to the configured sinks).")
        {
            config, alerts, window, duration, pollInterval, flowMapEntries, engineSockets, noEngine, hostProcessEvents, export, metrics, state, outputFile, source, captureInterface, settings,
        };
        run.SetAction(async (result, cancellation) =>
        {
            var overrides = new CommandLineOverrides(
                result.GetValue(alerts),
                result.GetValue(window),
                result.GetValue(duration),
                result.GetValue(pollInterval),
                result.GetValue(flowMapEntries),
                result.GetValue(noEngine) ? [] : NullIfEmpty(result.GetValue(engineSockets)),
                result.GetValue(hostProcessEvents) ? true : null,
                result.GetValue(export),
                result.GetValue(metrics),
                result.GetValue(state),
                result.GetValue(outputFile),
                result.GetValue(source),
                result.GetValue(captureInterface));
            return await RunCommand.ExecuteAsync(result.GetValue(config), result.GetValue(settings) ?? [], overrides, cancellation);
        });
        return run;
    }

    private static string[]? NullIfEmpty(string[]? values) => values is { Length: > 0 } ? values : null;

    /// <summary>`--engine-socket PATH`, repeatable, of every command that asks container engines; each a socket's path.</summary>
    internal static Option<string[]> EngineSocketsOption()
    {
        var option = new Option<string[]>("--engine-socket")
        {
            Description = "a Docker Engine API socket for container names, metadata and events (Docker or Podman); repeat for several (default: /var/run/docker.sock and /run/podman/podman.sock)",
            AllowMultipleArgumentsPerToken = false,
        };
        option.Validators.Add(result =>
        {
            foreach (string socket in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (UnixSocketPath.Problem(socket) is string problem)
                {
                    result.AddError($"--engine-socket {problem}");
                    return;
                }
            }
        });
        return option;
    }

    /// <summary>An optional whole-number option with a range, each problem one line naming the option.</summary>
    internal static Option<int?> Bounded(string name, string description, int low, int high)
    {
        return new Option<int?>(name)
        {
            Description = description,
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
                {
                    result.AddError($"{name} must be a whole number, got '{text}'");
                    return null;
                }

                if (value < low || value > high)
                {
                    result.AddError($"{name} must be between {low} and {high}, got {value}");
                    return null;
                }

                return value;
            },
        };
    }
}

/// <summary>Settings given on the command line; each wins over the config file.</summary>
internal sealed record CommandLineOverrides(
    string? AlertsFile,
    int? WindowSeconds,
    int? DurationSeconds,
    int? PollIntervalMilliseconds,
    int? FlowMapEntries,
    string[]? ContainerEngineSockets = null,
    bool? HostProcessEvents = null,
    string? ExportSocket = null,
    string? Metrics = null,
    string? StatePath = null,
    string? OutputFile = null,
    string? Source = null,
    string? CaptureInterface = null)
{
    public void ApplyTo(SensorOptions options)
    {
        options.AlertsFile = AlertsFile ?? options.AlertsFile;
        options.WindowSeconds = WindowSeconds ?? options.WindowSeconds;
        options.DurationSeconds = DurationSeconds ?? options.DurationSeconds;
        options.PollIntervalMilliseconds = PollIntervalMilliseconds ?? options.PollIntervalMilliseconds;
        options.FlowMapEntries = FlowMapEntries ?? options.FlowMapEntries;
        options.ContainerEngineSockets = ContainerEngineSockets ?? options.ContainerEngineSockets;
        options.HostProcessEvents = HostProcessEvents ?? options.HostProcessEvents;
        options.Export.Socket = ExportSocket ?? options.Export.Socket;
        options.Metrics = Metrics ?? options.Metrics;
        options.StatePath = StatePath ?? options.StatePath;
        options.OutputFile = OutputFile ?? options.OutputFile;
        options.Source = Source ?? options.Source;
        options.CaptureInterface = CaptureInterface ?? options.CaptureInterface;
    }
}
