using System.CommandLine;
using System.Globalization;
using System.Text;
using OneWaySensor.Cli.Output;
using OneWaySensor.Configuration;
using OneWaySensor.Detection;
using OneWaySensor.State;

namespace OneWaySensor.Cli.History;

/// <summary>`onewaysensor alerts`: past alerts from the state file, as JSON lines (readable lines at a terminal).</summary>
internal static class AlertsCommand
{
    public static Command Build()
    {
        var since = new Option<TimeSpan?>("--since")
        {
            Description = "only alerts of the last DURATION (e.g. 90s, 30m, 1h, 7d)",
            CustomParser = result =>
            {
                string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
                if (ParseDuration(text) is TimeSpan duration)
                {
                    return duration;
                }

                result.AddError($"--since must be a duration such as 90s, 30m, 1h or 7d, got '{text}'");
                return null;
            },
        };
        var container = new Option<string?>("--container") { Description = "only alerts of this container (name, id or id prefix)" };
        var rule = new Option<string?>("--rule") { Description = "only alerts of this rule (e.g. one_way_flow)" };
        rule.AcceptOnlyFromAmong([.. RuleIds.All]);
        var limit = Commands.Bounded("--limit", "at most this many, the newest (default 1000)", 1, 1_000_000);
        var state = new Option<string>("--state") { Description = $"the sensor's state file (default {SensorOptions.DefaultStatePath})", DefaultValueFactory = _ => SensorOptions.DefaultStatePath };
        var command = new Command("alerts", "List past alerts from the sensor's state file, oldest first.") { since, container, rule, limit, state };
        command.SetAction(async (result, cancellation) =>
        {
            try
            {
                using SqliteAlertHistory history = SqliteAlertHistory.OpenForReading(result.GetValue(state)!);
                DateTimeOffset? from = result.GetValue(since) is TimeSpan duration ? DateTimeOffset.UtcNow - duration : null;
                bool readable = !Console.IsOutputRedirected;
                var text = new StringBuilder();
                foreach (StoredAlert alert in history.Query(from, result.GetValue(container), result.GetValue(rule), result.GetValue(limit) ?? 1000))
                {
                    text.Append(readable ? ReadableLine.Format(Encoding.UTF8.GetBytes(alert.Json)) : alert.Json).Append('\n');
                }

                await Console.Out.WriteAsync(text.ToString());
                return 0;
            }
            catch (StateException error)
            {
                await Console.Error.WriteLineAsync(Program.ErrorLine(error.Message));
                return Program.Failure;
            }
        });
        return command;
    }

    /// <summary>"90s", "30m", "1h", "7d", "2w": a whole number and a unit.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count > 100_000)
        {
            return null;
        }

        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(count),
            'm' => TimeSpan.FromMinutes(count),
            'h' => TimeSpan.FromHours(count),
            'd' => TimeSpan.FromDays(count),
            'w' => TimeSpan.FromDays(7 * count),
            _ => null,
        };
    }
}
