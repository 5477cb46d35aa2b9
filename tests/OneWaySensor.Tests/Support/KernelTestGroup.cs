namespace OneWaySensor.Tests.Support;

/// <summary>Tests that attach programs to the cgroup root or run the sensor: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelTestGroup
{
    public const string Name = "kernel";
}
