namespace OneWaySensor.Tests.Support;

/// <summary>
/// What a test needs from the machine. Missing it skips with the reason on
/// a developer's machine; under CI=true it fails, since CI must run them all.
/// </summary>
internal static class Requirements
{
    public static bool InCi => Environment.GetEnvironmentVariable("CI") == "true";

    public static void Root() =>
        Require(Environment.IsPrivilegedProcess, "needs root to load and attach eBPF programs");

    // the build copies out/libonewaysensor.so (the BPF programs inside) beside the tests: after make alone,
    // dotnet test --no-build would load the programs of the build before, and pass or fail on them
    private static readonly Lazy<bool> NativeCopyCurrent = new(() =>
    {
        string built = Path.Combine(RepoPaths.Out, "libonewaysensor.so");
        return !File.Exists(built)
            || File.ReadAllBytes(built).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "libonewaysensor.so")));
    });

    public static void NativeLibrary()
    {
        Require(File.Exists(Path.Combine(AppContext.BaseDirectory, "libonewaysensor.so")), "libonewaysensor.so is not built: run make first");
        Assert.True(NativeCopyCurrent.Value, "the tests' copy of libonewaysensor.so is not out/'s: build the tests again (dotnet build OneWaySensor.sln) after make");
    }

    public static void Built() =>
        Require(File.Exists(RepoPaths.SensorBinary) && File.Exists(RepoPaths.TrafficGenerator), $"{RepoPaths.SensorBinary} or {RepoPaths.TrafficGenerator} is not built: run make first");

    public static void Tool(string name) =>
        Require(RepoPaths.FindOnPath(name) is not null, $"{name} is not installed");

    public static void Require(bool met, string reason)
    {
        if (met)
        {
            return;
        }

        if (InCi)
        {
            Assert.Fail($"CI=true, so this must run, but it {reason}");
        }

        Skip.If(true, reason);
    }
}
