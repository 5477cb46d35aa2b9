using System.CommandLine;

namespace OneWaySensor.Cli.Replay;

/// <summary>
/// `onewaysensor replay FILE [--flows FILE]`: the command line of
/// <see cref="CaptureReplay"/>. Alerts go to stdout as JSON lines; with
/// --flows each connection is written as one JSON line as it ends. What
/// could not be read is counted and said on stderr.
/// </summary>
internal static class ReplayCommand
{
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
                configuration = ConfigFile.LoadChecked(result.GetValue(config));
            }
            catch (ConfigException error)
            {
                await Console.Error.WriteLineAsync(Program.ErrorLine(error.Message));
                return Program.UsageError;
            }

            var settings = new ReplaySettings(
                result.GetValue(window) ?? configuration.Sensor.WindowSeconds,
                configuration.Detection,
                result.GetValue(checksums),
                !result.GetValue(noDetections));
            return Run(result.GetValue(file)!, result.GetValue(flows), settings, cancellation);
        });
        return command;
    }

    private static int Run(FileInfo capture, FileInfo? flowsFile, ReplaySettings settings, CancellationToken cancellation)
    {
        using Stream stdout = Console.OpenStandardOutput();
        Stream? flowsOut = null;
        try
        {
            flowsOut = flowsFile is null ? null : flowsFile.Name == "-" ? stdout : flowsFile.Open(FileMode.Create, FileAccess.Write, FileShare.Read);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine(Program.ErrorLine($"cannot write the flows file {flowsFile!.FullName}: {error.Message}"));
            return Program.Failure;
        }

        try
        {
            return CaptureReplay.Run(capture.FullName, stdout, flowsOut, Console.Error, settings, cancellation);
        }
        finally
        {
            if (flowsOut is not null && flowsOut != stdout)
            {
                flowsOut.Dispose();
            }
        }
    }
}
