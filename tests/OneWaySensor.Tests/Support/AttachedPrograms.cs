namespace OneWaySensor.Tests.Support;

/// <summary>Counts the sensor's programs attached to a cgroup, as bpftool lists them.</summary>
internal static class AttachedPrograms
{
    public static int Count(string cgroupPath)
    {
        ProcessResult show = ProcessRunner.Run("bpftool", ["cgroup", "show", cgroupPath]);
        Assert.Equal(0, show.ExitCode);
        return show.Stdout.Split('\n').Count(line => line.Contains("ows_egress", StringComparison.Ordinal) || line.Contains("ows_ingress", StringComparison.Ordinal));
    }
}
