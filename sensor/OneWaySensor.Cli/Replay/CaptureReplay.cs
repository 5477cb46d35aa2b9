using System.Buffers;
using System.Globalization;
using OneWaySensor.Alerts;
using OneWaySensor.Cli.Output;
using OneWaySensor.Connections;
using OneWaySensor.Detection;
using OneWaySensor.Flows;
using OneWaySensor.Output;
using OneWaySensor.Pcap;

namespace OneWaySensor.Cli.Replay;

/// <summary>How a capture is replayed: the settings `onewaysensor replay` takes.</summary>
internal sealed record ReplaySettings(int WindowSeconds, DetectionOptions Detection, bool VerifyChecksums = false, bool Detect = true);

/// <summary>
/// A capture file through the pcap source and the detections, on the
/// capture's own clock: alerts as JSON lines on one stream, finished
/// connections on another, and what was read and skipped in one line on
/// <c>log</c>. A damaged file ends it with one more line naming the file,
/// after everything read before the damage was written and counted. Apart
/// from the command line, so tests run the very same replay in process.
/// </summary>
internal static class CaptureReplay
{
    private const long Second = 1_000_000_000;

    /// <summary>Replays <paramref name="capture"/>; returns the exit code: 0, or <see cref="Program.Failure"/> for a damaged or unreadable file.</summary>
    public static int Run(string capture, Stream alertsOut, Stream? flowsOut, TextWriter log, ReplaySettings settings, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(settings);
        var line = new ArrayBufferWriter<byte>(4096);
        var table = new FlowTable();
        var engine = new DetectionEngine(settings.WindowSeconds, settings.Detection, new CaptureWorkloads(), new LineSink(alertsOut, line));
        var source = new CaptureFlowSource(
            table,
            pollIntervalNs: Second,
            idleTimeoutNs: Math.Max(2L * settings.WindowSeconds, 120) * Second,
            afterPoll: settings.Detect ? now => engine.Evaluate(table, now) : _ => { },
            finished: flowsOut is null ? null : record => WriteFlow(flowsOut, line, record),
            verifyChecksums: settings.VerifyChecksums);
        CaptureReader reader;
        try
        {
            reader = CaptureReader.OpenFile(capture);
        }
        catch (CaptureException error)
        {
            log.WriteLine(Program.ErrorLine(error.Message));
            return Program.Failure;
        }

        CaptureException? damage = null;
        using (reader)
        {
            try
            {
                source.Run(reader, cancellation);
            }
            catch (CaptureException error)
            {
                damage = error;
            }
            finally
            {
                // what was read before a damaged record still counts, and its connections are written
                source.Finish();
                flowsOut?.Flush();
            }
        }

        ReportCounts(log, Path.GetFileName(capture), source, engine);
        if (damage is not null)
        {
            log.WriteLine(Program.ErrorLine(damage.Message));
            return Program.Failure;
        }

        return 0;
    }

    private static void WriteFlow(Stream output, ArrayBufferWriter<byte> line, ConnectionRecord record)
    {
        line.ResetWrittenCount();
        ConnectionJsonWriter.Write(record, line);
        line.Write("\n"u8);
        output.Write(line.WrittenSpan);
    }

    private static void ReportCounts(TextWriter log, string name, CaptureFlowSource source, DetectionEngine engine)
    {
        CaptureCounters counts = source.Counters;
        log.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"onewaysensor: replayed {TerminalText.Escape(name)}: {counts.Packets} packets, {counts.IpPackets} IP; skipped: not IP {counts.NotIp}, truncated {counts.Truncated}, malformed {counts.Malformed}, unknown link type {counts.UnknownLinkType}, later fragments {source.Tracker.LaterFragments}, bad checksums {source.Tracker.BadChecksums}; {engine.AlertsRaised} alerts"));
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
