using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OneWaySensor.Cli.Control;

namespace OneWaySensor.Cli.Health;

/// <summary>`onewaysensor status`: the running sensor's health, the same figures as its metrics endpoint.</summary>
internal static class StatusCommand
{
    public static Command Build()
    {
        var socket = ControlClient.SocketOption();
        var json = new Option<bool>("--json") { Description = "print the status as one JSON document" };
        var command = new Command("status", "Print the running sensor's health: records by kind, losses, map occupancy, alerts per rule, sink drops, cache hits.") { socket, json };
        command.SetAction(async (result, cancellation) => await RunAsync(result.GetValue(socket)!, result.GetValue(json), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(string controlSocket, bool asJson, CancellationToken cancellation)
    {
        try
        {
            string answer = await ControlClient.AskAsync(controlSocket, "status", cancellation);
            if (ControlClient.ErrorOf(answer) is string error)
            {
                await Console.Error.WriteLineAsync(Program.ErrorLine($"the sensor answered: {error}"));
                return Program.Failure;
            }

            await Console.Out.WriteAsync(asJson ? answer + "\n" : Readable(answer));
            return 0;
        }
        catch (ControlUnreachable error)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine(error.Message));
            return Program.Failure;
        }
        catch (Exception error) when (ControlClient.IsUnreadableAnswer(error))
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine($"the sensor's status is not what this version reads: {error.Message}"));
            return Program.Failure;
        }
    }

    /// <summary>One line per metric: its name, then its value or its label=value pairs.</summary>
    internal static string Readable(string statusJson)
    {
        using JsonDocument document = JsonDocument.Parse(statusJson);
        JsonElement root = document.RootElement;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"onewaysensor status at {root.GetProperty("time").GetString()}\n");
        foreach (JsonProperty metric in root.GetProperty("metrics").EnumerateObject())
        {
            string value = metric.Value.ValueKind == JsonValueKind.Object
                ? string.Join(' ', metric.Value.EnumerateObject().Select(label => $"{label.Name}={label.Value.GetRawText()}"))
                : metric.Value.GetRawText();
            text.Append(CultureInfo.InvariantCulture, $"  {metric.Name,-32} {value}\n");
        }

        return text.ToString();
    }
}
