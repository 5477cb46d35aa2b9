using System.Text.Json;
using Microsoft.Extensions.Configuration;
using OneWaySensor.Configuration;

namespace OneWaySensor.Cli;

/// <summary>Reads the JSON config file into <see cref="SensorOptions"/>; every problem is one line naming the key.</summary>
internal static class ConfigFile
{
    public static SensorOptions Load(FileInfo? file)
    {
        var options = new SensorOptions();
        if (file is null)
        {
            return options;
        }

        if (!file.Exists)
        {
            throw new ConfigException($"config file {file.FullName}: not found");
        }

        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonFile(file.FullName, optional: false, reloadOnChange: false).Build();
        }
        catch (InvalidDataException error)
        {
            // the provider's own message says only that it could not parse; the inner one says where
            throw new ConfigException($"config file {file.FullName}: not valid JSON: {FirstLine(error.InnerException?.Message ?? error.Message)}");
        }
        catch (JsonException error)
        {
            throw new ConfigException($"config file {file.FullName}: {FirstLine(error.Message)}");
        }

        foreach (IConfigurationSection section in configuration.GetChildren())
        {
            if (section.Key != SensorOptions.SectionName)
            {
                throw new ConfigException($"config file {file.FullName}: unknown section '{section.Key}' (expected '{SensorOptions.SectionName}')");
            }
        }

        try
        {
            configuration.GetSection(SensorOptions.SectionName).Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException error)
        {
            throw new ConfigException($"config file {file.FullName}: {FirstLine(error.Message)}");
        }

        return options;
    }

    private static string FirstLine(string text)
    {
        int newline = text.IndexOfAny(['\r', '\n']);
        return newline < 0 ? text : text[..newline];
    }
}

/// <summary>A config file or value is wrong: a usage error, reported in one line.</summary>
internal sealed class ConfigException(string message) : Exception(message);
