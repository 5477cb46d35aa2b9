using System.CommandLine;
using System.CommandLine.Parsing;
using OneWaySensor.Cli.Output;

namespace OneWaySensor.Cli;

internal static class Program
{
    /// <summary>Exit code of a usage error: unknown option, bad value, bad config file.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code of a failure to start or run.</summary>
    public const int Failure = 1;

    /// <summary>
    /// An error as the one line every command prints: "onewaysensor: MESSAGE".
    /// Messages carry names from outside (files, containers, cgroups, keys),
    /// so anything a terminal would act on is escaped.
    /// </summary>
    public static string ErrorLine(string message) => $"onewaysensor: {TerminalText.Escape(message)}";

    public static async Task<int> Main(string[] args)
    {
        RootCommand root = Commands.Build();
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // one line, the most telling problem: the help text is one --help away
            ParseError error = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
            await Console.Error.WriteLineAsync(ErrorLine($"{error.Message} (see onewaysensor --help)"));
            return UsageError;
        }

        // the Generic Host owns SIGINT and SIGTERM: it stops the sensor and flushes
        // before exiting 0, however long the last poll takes
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
