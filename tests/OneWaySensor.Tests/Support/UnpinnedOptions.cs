using OneWaySensor.Configuration;

namespace OneWaySensor.Tests.Support;

/// <summary>
/// Options for an eBPF source a test starts in its own process. The flow
/// map stays with the process: with the default pin directory a test would
/// leave the map pinned at /sys/fs/bpf/onewaysensor-flows, where a sensor
/// on the same machine would resume from it (or lose its own to another size).
/// </summary>
internal static class UnpinnedOptions
{
    public static SensorOptions Create(int pollIntervalMilliseconds = 1000, int? flowMapEntries = null)
    {
        var options = new SensorOptions { PollIntervalMilliseconds = pollIntervalMilliseconds, FlowPinDirectory = string.Empty };
        if (flowMapEntries is int entries)
        {
            options.FlowMapEntries = entries;
        }

        return options;
    }
}
