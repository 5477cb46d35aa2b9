using System.Buffers;
using System.CommandLine;
using System.Globalization;
using OneWaySensor.Alerts;
using OneWaySensor.Connections;
using OneWaySensor.Detection;
using OneWaySensor.Flows;
using OneWaySensor.Output;
using OneWaySensor.Pcap;

namespace OneWaySensor.Cli.Replay;

/// <summary>
/// `onewaysensor replay FILE [--flows FILE]`: the detections over a capture
/// file (pcap or pcapng), on the capture's own clock. Alerts go to stdout as
/// JSON lines; with --flows each connection is written as one JSON line as
/// it ends. What could not be read is counted and said on stderr.
/// </summary>
internal static class ReplayCommand
{
    private const long Second = 1_000_000_000;

    public static Command Build()
    {
        var file = new Argument<FileInfo>("file") { Description = "a pcap or pcapng capture" };
        var flows = new Option<FileInfo?>("--flows") { Description = "also write every connection, as one JSON line, to this file ('-' for stdout)" };
        var window = Commands.Bounded("--window", "seconds a flow must send without receiving before it alerts (default 60)", 1, 86_400);
        var config = new Option<FileInfo?>("--config") { Description = "a config file whose \"Detection\" section tunes the rules" };
        var checksums = new Option<bool>("--verify-checksums") { Description = "drop segments whose checksum is wrong, as Zeek does without -C" };
        var noDetections = new Option<bool>("--no-detections") { Description = "flow accounting only (with --flows): no rules are run" };
        var command = new Command("replay", "Run the detections over a capture file, on the capture's clock; alerts as JSON lines on stdout.") { file, flows, window, config, checksums, noDetections };
        command.SetAction(async (result, cancellation) =>
        {
            SensorConfiguration configuration;
            try
            {
                configuration = ConfigFile.Load(result.GetValue(config));
                if (configuration.Detection.Validate() is string problem)
                {
                    throw new ConfigException(problem);
                }
            }
            catch (ConfigException error)
            {
                await Console.Error.WriteLineAsync($"onewaysensor: {error.Message}");
                return Program.UsageError;
            }

            int windowSeconds = result.GetValue(window) ?? configuration.Sensor.WindowSeconds;
            return Run(result.GetValue(file)!, result.GetValue(flows), windowSeconds, configuration.Detection, result.GetValue(checksums), !result.GetValue(noDetections), cancellation);
        });
        return command;
    }

    private static int Run(FileInfo capture, FileInfo? flowsFile, int windowSeconds, DetectionOptions detection, bool verifyChecksums, bool detect, CancellationToken cancellation)
    {
        using Stream stdout = Console.OpenStandardOutput();
        Stream? flowsOut = null;
        try
        {
            flowsOut = flowsFile is null ? null : flowsFile.Name == "-" ? stdout : flowsFile.Open(FileMode.Create, FileAccess.Write, FileShare.Read);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"onewaysensor: cannot write the flows file {flowsFile!.FullName}: {error.Message}");
            return Program.Failure;
        }

        try
        {
            var line = new ArrayBufferWriter<byte>(4096);
            var alerts = new LineSink(stdout, line);
            var table = new FlowTable();
            var engine = new DetectionEngine(windowSeconds, detection, new CaptureWorkloads(), alerts);
            var source = new CaptureFlowSource(
                table,
                pollIntervalNs: Second,
                idleTimeoutNs: Math.Max(2L * windowSeconds, 120) * Second,
                afterPoll: detect ? now => engine.Evaluate(table, now) : _ => { },
                finished: flowsOut is null ? null : record => WriteFlow(flowsOut, line, record),
                verifyChecksums: verifyChecksums);
            using (CaptureReader reader = CaptureReader.OpenFile(capture.FullName))
            {
                try
                {
                    source.Run(reader, cancellation);
                }
                finally
                {
                    // what was read before a damaged record still counts, and its connections are written
                    source.Finish();
                    flowsOut?.Flush();
                }
            }

            ReportCounts(capture, source, engine);
            return 0;
        }
        catch (CaptureException error)
        {
            Console.Error.WriteLine($"onewaysensor: {error.Message}");
            return Program.Failure;
        }
        finally
        {
            if (flowsOut is not null && flowsOut != stdout)
            {
                flowsOut.Dispose();
            }
        }
    }

    private static void WriteFlow(Stream output, ArrayBufferWriter<byte> line, ConnectionRecord record)
    {
        line.ResetWrittenCount();
        ConnectionJsonWriter.Write(record, line);
        line.Write("\n"u8);
        output.Write(line.WrittenSpan);
    }

    private static void ReportCounts(FileInfo capture, CaptureFlowSource source, DetectionEngine engine)
    {
        CaptureCounters counts = source.Counters;
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"onewaysensor: replayed {capture.Name}: {counts.Packets} packets, {counts.IpPackets} IP; skipped: not IP {counts.NotIp}, truncated {counts.Truncated}, malformed {counts.Malformed}, unknown link type {counts.UnknownLinkType}, later fragments {source.Tracker.LaterFragments}, bad checksums {source.Tracker.BadChecksums}; {engine.AlertsRaised} alerts"));
    }

    /// <summary>Alerts as JSON lines, flushed one by one.</summary>
    private sealed class LineSink(Stream output, ArrayBufferWriter<byte> line) : IAlertSink
    {
        public void Emit(Alert alert)
        {
            line.ResetWrittenCount();
            AlertJsonWriter.Write(alert, line);
            line.Write("\n"u8);
            output.Write(line.WrittenSpan);
            output.Flush();
        }
    }

    /// <summary>A capture names no cgroups: every flow is the host's.</summary>
    private sealed class CaptureWorkloads : IWorkloadDirectory
    {
        public Workload Describe(ulong cgroupId) => new(cgroupId, null, null, null);
    }
}
