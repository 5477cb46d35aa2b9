using System.CommandLine;
using System.CommandLine.Parsing;
using OneWaySensor.Cli;

namespace OneWaySensor.Tests.Cli;

/// <summary>
/// Every option of every command that takes a value, given a bad one: the
/// parser refuses it with a message naming the option, which the binary
/// prints as its one line with exit code 2 (CommandLineTests runs a few
/// through it). Options whose value is checked at start-up rather than by
/// the parser are named in <see cref="CheckedAtStart"/>.
/// </summary>
public sealed class CommandOptionTests
{
    private static readonly string LongSocket = "/run/" + new string('s', 120) + ".sock";

    /// <summary>Command, option, a bad value (or values: each in turn).</summary>
    private static readonly (string Command, string Option, string[] Bad)[] Rows =
    [
        ("run", "--window", ["0", "86401", "soon", "1.5", "99999999999", ""]),
        ("run", "--duration", ["0", "-1", "forever"]),
        ("run", "--poll-interval", ["49", "60001", "fast"]),
        ("run", "--flow-map-entries", ["1023", "16777217", "many"]),
        ("run", "--engine-socket", ["docker.sock", LongSocket, ""]),
        ("run", "--export", ["/run/x.sock", "unix:relative.sock", $"unix:{LongSocket}", "tcp:127.0.0.1:1", ""]),
        ("run", "--metrics", ["0.0.0.0:9477", "localhost", "127.0.0.1:0", "127.0.0.1:70000", ""]),
        ("run", "--source", ["sideways", ""]),
        ("replay", "--window", ["0", "soon"]),
        ("validate", "--window", ["0", "3601"]),
        ("validate", "--contacts", ["0", "1001"]),
        ("validate", "--timeout", ["9", "3601"]),
        ("alerts", "--since", ["1y", "-1h", "h", "99999999999d", ""]),
        ("alerts", "--limit", ["0", "1000001"]),
        ("alerts", "--rule", ["one-way-flow", ""]),
        ("tail", "--count", ["0", "all"]),
        ("top", "--interval", ["99", "60001"]),
        ("top", "--iterations", ["0"]),
        ("top", "--control-socket", ["control.sock", LongSocket, ""]),
        ("status", "--control-socket", ["control.sock", LongSocket, ""]),
        ("investigate", "--control-socket", ["control.sock", LongSocket]),
        ("investigate", "--engine-socket", ["docker.sock", LongSocket]),
        ("isolate", "--engine-socket", ["docker.sock", LongSocket]),
        ("release", "--engine-socket", ["docker.sock", LongSocket]),
    ];

    /// <summary>Values the parser cannot judge: checked by the command when it runs (config validation, the file system, the engine), one line each.</summary>
    private static readonly string[] CheckedAtStart =
    [
        "run --config", "run --alerts", "run --state", "run --output-file", "run --interface", "run --set",
        "replay --config", "replay --flows", "alerts --container", "alerts --state", "validate --image",
    ];

    [Fact]
    public void Every_option_that_takes_a_value_is_covered()
    {
        string[] covered = [.. Rows.Select(row => $"{row.Command} {row.Option}").Concat(CheckedAtStart).Distinct().Order()];
        string[] options = [.. ValueOptions(Commands.Build()).Order()];
        Assert.Equal(options, covered);
    }

    [Fact]
    public void A_bad_value_is_refused_by_the_parser_naming_its_option()
    {
        RootCommand root = Commands.Build();
        foreach ((string command, string option, string[] values) in Rows)
        {
            string[] prefix = command is "investigate" or "isolate" or "release" ? [command, "web"] : command == "tail" ? [command, "unix:/run/x.sock"] : [command];
            foreach (string value in values)
            {
                ParseResult parsed = root.Parse([.. prefix, option, value]);
                string because = $"{command} {option} '{value}'";
                Assert.True(parsed.Errors.Count > 0, $"{because}: accepted");
                string line = OneWaySensor.Cli.Program.ErrorLine(parsed.Errors[0].Message);
                Assert.True(line.Contains(option, StringComparison.Ordinal) || line.Contains($"'{value}'", StringComparison.Ordinal), $"{because}: '{line}' names neither");
                Assert.DoesNotContain('\n', line);
            }
        }
    }

    /// <summary>"command --option" for every option of every command that takes a value (not a switch, not help).</summary>
    private static IEnumerable<string> ValueOptions(Command command, string path = "")
    {
        foreach (Option option in command.Options)
        {
            if (option.Arity.MaximumNumberOfValues > 0 && option.ValueType != typeof(bool) && path.Length > 0)
            {
                yield return $"{path} {option.Name}";
            }
        }

        foreach (Command sub in command.Subcommands)
        {
            foreach (string option in ValueOptions(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}"))
            {
                yield return option;
            }
        }
    }
}
