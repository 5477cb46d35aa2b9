using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OneWaySensor.Configuration;
using OneWaySensor.Linux;

namespace OneWaySensor.Cli;

/// <summary>`onewaysensor run`: settles the options, then runs the sensor under the Generic Host.</summary>
internal static class RunCommand
{
    public static async Task<int> ExecuteAsync(FileInfo? configFile, IReadOnlyList<string> settings, CommandLineOverrides overrides, CancellationToken cancellation)
    {
        SensorConfiguration configuration;
        try
        {
            configuration = ConfigFile.LoadChecked(configFile, settings, overrides);
        }
        catch (ConfigException error)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine(error.Message));
            return Program.UsageError;
        }

        using IHost host = BuildHost(configuration);
        try
        {
            await host.RunAsync(cancellation);
            return Environment.ExitCode;
        }
        catch (Exception error) when (UserFacing(error) is Exception cause)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine(cause.Message));
            return Program.Failure;
        }
        catch (DllNotFoundException)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine("libonewaysensor.so was not found beside the onewaysensor binary: build it with make"));
            return Program.Failure;
        }
    }

    /// <summary>The failure to show the user, unwrapping the host's aggregate of stop failures.</summary>
    private static Exception? UserFacing(Exception error) => error switch
    {
        SensorException or IOException or UnauthorizedAccessException or OneWaySensor.Detection.Baseline.BaselineStoreException or State.StateException => error,
        AggregateException aggregate => aggregate.InnerExceptions.Select(UserFacing).FirstOrDefault(inner => inner is not null),
        _ => null,
    };

    private static IHost BuildHost(SensorConfiguration configuration)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss ";
            console.UseUtcTimestamp = true;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Information);

        // start-up failures are printed once, as one line, by ExecuteAsync
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

        builder.Services.AddSingleton(configuration.Sensor);
        builder.Services.AddSingleton(configuration.Detection);
        builder.Services.AddHostedService<SensorService>();
        return builder.Build();
    }
}
