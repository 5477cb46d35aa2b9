using OneWaySensor.Alerts;
using OneWaySensor.Detection;

namespace OneWaySensor.Bench;

/// <summary>
/// What the detection benchmarks give the engine: host workloads known in
/// advance, as the sensor's directory caches them (describing one costs a
/// look-up), and a sink that drops alerts. One file, compiled into both
/// DetectionPoll and OneWaySensor.Bench: DetectionPoll must build against
/// another commit's Core alone.
/// </summary>
internal sealed class BenchHosts : IWorkloadDirectory, IAlertSink
{
    private readonly Dictionary<ulong, Workload> known = [];

    public Workload Describe(ulong cgroupId)
    {
        if (!known.TryGetValue(cgroupId, out Workload? workload))
        {
            known[cgroupId] = workload = new Workload(cgroupId, $"/bench-{cgroupId}", null, null);
        }

        return workload;
    }

    public void Emit(Alert alert)
    {
    }
}
