using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OneWaySensor.Cli.Control;
using OneWaySensor.Cli.Output;

namespace OneWaySensor.Cli.Top;

/// <summary>
/// `onewaysensor top`: a live table of the running sensor's containers and
/// cgroups (traffic, one-way flows, recent alerts), asked of its control
/// socket and redrawn each second until Ctrl-C.
/// </summary>
internal static class TopCommand
{
    public static Command Build()
    {
        var socket = ControlClient.SocketOption();
        var interval = Commands.Bounded("--interval", "milliseconds between refreshes (default 1000)", 100, 60_000);
        var iterations = Commands.Bounded("--iterations", "stop after this many refreshes (default: until Ctrl-C)", 1, int.MaxValue);
        var command = new Command("top", "A live table of containers: tx/rx bytes and packets, one-way flows and active alerts, refreshed each second.") { socket, interval, iterations };
        command.SetAction(async (result, cancellation) =>
            await RunAsync(result.GetValue(socket)!, result.GetValue(interval) ?? 1000, result.GetValue(iterations), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(string controlSocket, int intervalMilliseconds, int? iterations, CancellationToken cancellation)
    {
        bool terminal = !Console.IsOutputRedirected;
        TopFrame? previous = null;
        try
        {
            for (int drawn = 0; iterations is null || drawn < iterations; drawn++)
            {
                if (drawn > 0)
                {
                    await Task.Delay(intervalMilliseconds, cancellation);
                }

                string answer = await ControlClient.AskAsync(controlSocket, "top", cancellation);
                if (ControlClient.ErrorOf(answer) is string error)
                {
                    await Console.Error.WriteLineAsync(Program.ErrorLine($"the sensor answered: {error}"));
                    return Program.Failure;
                }

                TopFrame frame = TopFrame.Parse(answer);
                int width = terminal ? Math.Max(Console.WindowWidth, 80) : 160;
                string screen = frame.Render(previous, width);
                previous = frame;

                // home and clear, then the frame: one write, so the screen never shows half a table
                await Console.Out.WriteAsync((terminal ? "\u001b[H\u001b[2J" : string.Empty) + screen);
                await Console.Out.FlushAsync(cancellation);
            }

            return 0;
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
        catch (ControlUnreachable error)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine(error.Message));
            return Program.Failure;
        }
        catch (Exception error) when (ControlClient.IsUnreadableAnswer(error))
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine($"the sensor's answer to 'top' is not what this version reads: {error.Message}"));
            return Program.Failure;
        }
    }
}

/// <summary>One answer of the sensor to `top`, and how it is drawn.</summary>
internal sealed record TopFrame(DateTimeOffset Time, IReadOnlyList<TopRow> Rows)
{
    public static TopFrame Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        var rows = new List<TopRow>();
        foreach (JsonElement row in root.GetProperty("rows").EnumerateArray())
        {
            rows.Add(new TopRow(
                row.GetProperty("cgroup").GetUInt64(),
                row.GetProperty("name").GetString() ?? "?",
                row.GetProperty("workload").GetString() ?? "?",
                row.GetProperty("tx_bytes").GetUInt64(),
                row.GetProperty("tx_packets").GetUInt64(),
                row.GetProperty("rx_bytes").GetUInt64(),
                row.GetProperty("rx_packets").GetUInt64(),
                row.GetProperty("flows").GetUInt64(),
                row.GetProperty("one_way_flows").GetInt32(),
                row.GetProperty("alerts").GetInt32()));
        }

        return new TopFrame(DateTimeOffset.Parse(root.GetProperty("time").GetString()!, CultureInfo.InvariantCulture), rows);
    }

    /// <summary>The table, busiest senders first; rates are since <paramref name="previous"/>.</summary>
    public string Render(TopFrame? previous, int width)
    {
        double seconds = previous is null ? 0 : (Time - previous.Time).TotalSeconds;
        var before = previous?.Rows.ToDictionary(row => row.Cgroup) ?? [];
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"onewaysensor top  {Time:HH:mm:ss}  {Rows.Count} cgroups, {Rows.Sum(row => row.OneWayFlows)} one-way flows, {Rows.Sum(row => row.Alerts)} alerts in the last {AlertTally.ActiveSeconds / 60} min\n\n");
        string header = string.Create(CultureInfo.InvariantCulture, $"{"TX/s",9} {"TX BYTES",10} {"TX PKTS",9} {"RX/s",9} {"RX BYTES",10} {"RX PKTS",9} {"FLOWS",6} {"ONE-WAY",7} {"ALERTS",6}  {"RUNTIME",-10} CONTAINER");
        text.Append(Fit(header, width)).Append('\n');
        foreach (TopRow row in Rows.OrderByDescending(row => row.Alerts).ThenByDescending(row => row.OneWayFlows).ThenByDescending(row => row.TxBytes))
        {
            TopRow? old = before.GetValueOrDefault(row.Cgroup);
            string txRate = seconds > 0 && old is not null ? Bytes((row.TxBytes - Math.Min(old.TxBytes, row.TxBytes)) / seconds) : "-";
            string rxRate = seconds > 0 && old is not null ? Bytes((row.RxBytes - Math.Min(old.RxBytes, row.RxBytes)) / seconds) : "-";
            string line = string.Create(CultureInfo.InvariantCulture, $"{txRate,9} {Bytes(row.TxBytes),10} {row.TxPackets,9} {rxRate,9} {Bytes(row.RxBytes),10} {row.RxPackets,9} {row.Flows,6} {row.OneWayFlows,7} {row.Alerts,6}  {row.Workload,-10} {TerminalText.Escape(row.Name)}");
            text.Append(Fit(line, width)).Append('\n');
        }

        return text.ToString();
    }

    private static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        int unit = 0;
        while (bytes >= 1024 && unit < units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0}{units[unit]}")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0}{units[unit]}");
    }

    private static string Fit(string line, int width) => line.Length <= width ? line : line[..(width - 1)];
}

internal sealed record TopRow(ulong Cgroup, string Name, string Workload, ulong TxBytes, ulong TxPackets, ulong RxBytes, ulong RxPackets, ulong Flows, int OneWayFlows, int Alerts);
