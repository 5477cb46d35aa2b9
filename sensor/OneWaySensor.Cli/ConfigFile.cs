using System.Text.Json;
using Microsoft.Extensions.Configuration;
using OneWaySensor.Configuration;
using OneWaySensor.Detection;

namespace OneWaySensor.Cli;

/// <summary>Everything the config file and the command line set.</summary>
internal sealed record SensorConfiguration(SensorOptions Sensor, DetectionOptions Detection);

/// <summary>
/// Layers the settings the usual .NET way, each on top of the one before:
/// the JSON config file, environment variables named ONEWAYSENSOR_Section__Key
/// (e.g. ONEWAYSENSOR_Sensor__WindowSeconds=120), then `--set KEY=VALUE`
/// (the command line's flags come last, in <see cref="CommandLineOverrides"/>).
/// The result binds to <see cref="SensorOptions"/> and <see cref="DetectionOptions"/>;
/// every problem is one line naming the key.
/// </summary>
internal static class ConfigFile
{
    public const string EnvironmentPrefix = "ONEWAYSENSOR_";

    private static readonly string[] Sections = [SensorOptions.SectionName, DetectionOptions.SectionName];

    public static SensorConfiguration Load(FileInfo? file, IReadOnlyList<string>? settings = null)
    {
        var builder = new ConfigurationBuilder();
        string source = "command line";
        if (file is not null)
        {
            if (!file.Exists)
            {
                throw new ConfigException($"config file {file.FullName}: not found");
            }

            builder.AddJsonFile(file.FullName, optional: false, reloadOnChange: false);
            source = $"config file {file.FullName}";
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddInMemoryCollection(ParseSettings(settings ?? []));
        IConfigurationRoot configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (InvalidDataException error)
        {
            // the provider's own message says only that it could not parse; the inner one says where
            throw new ConfigException($"{source}: not valid JSON: {FirstLine(error.InnerException?.Message ?? error.Message)}");
        }
        catch (JsonException error)
        {
            throw new ConfigException($"{source}: {FirstLine(error.Message)}");
        }

        foreach (IConfigurationSection section in configuration.GetChildren())
        {
            if (!Sections.Contains(section.Key))
            {
                throw new ConfigException($"{source} or {EnvironmentPrefix}* environment: unknown section '{section.Key}' (expected {string.Join(" or ", Sections.Select(s => $"'{s}'"))})");
            }
        }

        string? shape = ConfigKeys.FirstProblem(configuration.GetSection(SensorOptions.SectionName), typeof(SensorOptions))
            ?? ConfigKeys.FirstProblem(configuration.GetSection(DetectionOptions.SectionName), typeof(DetectionOptions));
        if (shape is not null)
        {
            throw new ConfigException($"{source}: {shape}");
        }

        var sensor = new SensorOptions();
        var detection = new DetectionOptions();
        try
        {
            configuration.GetSection(SensorOptions.SectionName).Bind(sensor, binder => binder.ErrorOnUnknownConfiguration = true);
            configuration.GetSection(DetectionOptions.SectionName).Bind(detection, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException error)
        {
            throw new ConfigException($"{source}: {FirstLine(error.Message)}");
        }

        return new SensorConfiguration(sensor, detection);
    }

    /// <summary>
    /// <see cref="Load"/>, the command line's flags on top, then every range
    /// and rule of both sections: what `run` starts with, and what `config
    /// check` and `replay` check. The first problem is one line naming its key.
    /// </summary>
    /// <exception cref="ConfigException">A file, key or value is wrong.</exception>
    public static SensorConfiguration LoadChecked(FileInfo? file, IReadOnlyList<string>? settings = null, CommandLineOverrides? overrides = null)
    {
        SensorConfiguration configuration = Load(file, settings);
        overrides?.ApplyTo(configuration.Sensor);
        return (configuration.Sensor.Validate() ?? configuration.Detection.Validate()) is string problem
            ? throw new ConfigException(problem)
            : configuration;
    }

    /// <summary>"Section:Key=value" pairs, as `--set` takes them.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> ParseSettings(IReadOnlyList<string> settings)
    {
        foreach (string setting in settings)
        {
            int equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ConfigException($"--set {setting}: expected KEY=VALUE, e.g. Detection:Beacon:ScoreThreshold=0.9");
            }

            yield return new(setting[..equals], setting[(equals + 1)..]);
        }
    }

    private static string FirstLine(string text)
    {
        int newline = text.IndexOfAny(['\r', '\n']);
        return newline < 0 ? text : text[..newline];
    }
}

/// <summary>A config file or value is wrong: a usage error, reported in one line.</summary>
internal sealed class ConfigException(string message) : Exception(message);
