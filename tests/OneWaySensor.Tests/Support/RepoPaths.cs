using System.Reflection;

namespace OneWaySensor.Tests.Support;

/// <summary>Where the build put things, and where the shared material is.</summary>
internal static class RepoPaths
{
    /// <summary>The repository's out/ folder, as the test project was built against it.</summary>
    public static string Out { get; } = typeof(RepoPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(attribute => attribute.Key == "NativeOutDir").Value!;

    /// <summary>The read-only shared material (../shared), as the test project was built against it.</summary>
    public static string Shared { get; } = Path.GetFullPath(typeof(RepoPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(attribute => attribute.Key == "SharedDir").Value!);

    /// <summary>Zeek's regression traces and verdicts.</summary>
    public static string ZeekData => Path.Combine(Shared, "data", "zeek");

    public static string SensorBinary => Path.Combine(Out, "onewaysensor");

    public static string TrafficGenerator => Path.Combine(Out, "owsgen");

    /// <summary>A script of tests/tools.</summary>
    public static string TestTool(string name) => Path.GetFullPath(Path.Combine(Out, "..", "tests", "tools", name));

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':')
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
