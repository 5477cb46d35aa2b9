using System.CommandLine;

namespace OneWaySensor.Cli;

/// <summary>`onewaysensor config check FILE`: reads and validates a config file as `run` would, without starting.</summary>
internal static class ConfigCommand
{
    public static Command Build()
    {
        var file = new Argument<FileInfo>("file") { Description = "the JSON config file" };
        var check = new Command("check", "Validate a config file (with the ONEWAYSENSOR_ environment variables on top, as run reads them) and exit 0 when it is good.") { file };
        check.SetAction(async (result, _) =>
        {
            FileInfo path = result.GetValue(file)!;
            try
            {
                ConfigFile.LoadChecked(path);
                await Console.Out.WriteLineAsync($"{path.FullName}: ok");
                return 0;
            }
            catch (ConfigException error)
            {
                await Console.Error.WriteLineAsync(Program.ErrorLine(error.Message));
                return Program.UsageError;
            }
        });
        return new Command("config", "Work with config files.") { check };
    }
}
