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

    public static void NativeLibrary() =>
        Require(File.Exists(Path.Combine(AppContext.BaseDirectory, "libonewaysensor.so")), "libonewaysensor.so is not built: run make first");

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
