using System.Diagnostics;

namespace OneWaySensor.Tests.Support;

internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs a program to completion with a time limit; a program that overruns is killed and the test fails.</summary>
internal static class ProcessRunner
{
    /// <summary>The result, after failing the test unless the program exited 0; what names it in the failure.</summary>
    public static ProcessResult Expect(ProcessResult result, string what)
    {
        Assert.True(result.ExitCode == 0, $"{what} failed ({result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)}): {result.Stderr}");
        return result;
    }

    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', arguments)} did not finish in time");
        }

        process.WaitForExit();
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
