using System.Net;
using OneWaySensor.Alerts;
using OneWaySensor.Containers;
using OneWaySensor.Detection;
using OneWaySensor.Flows;

namespace OneWaySensor.Tests.Core.Detection;

/// <summary>
/// Synthetic flow histories for the detections: a flow table fed poll by
/// poll, workloads described by the test, alerts collected.
/// </summary>
internal sealed class DetectionHarness : IAlertSink, IWorkloadDirectory
{
    public const long Second = UnixTime.NanosecondsPerSecond;
    public const long Start = 1_800_000_000 * Second;

    private readonly Dictionary<ulong, Workload> workloads = [];
    private long now = Start;

    public DetectionHarness(DetectionOptions? options = null, long windowSeconds = 60)
    {
        Options = options ?? new DetectionOptions();
        Engine = new DetectionEngine(windowSeconds, Options, this, this);
    }

    public DetectionOptions Options { get; }

    public DetectionEngine Engine { get; }

    public FlowTable Table { get; } = new();

    public List<Alert> Alerts { get; } = [];

    public long Now => now;

    public void Emit(Alert alert) => Alerts.Add(alert);

    public Workload Describe(ulong cgroupId) =>
        workloads.TryGetValue(cgroupId, out Workload? workload) ? workload : new Workload(cgroupId, $"/host-{cgroupId}", null, null);

    /// <summary>Describes a host cgroup with one cached answer, as the sensor's directory does (describing it then allocates nothing).</summary>
    public void Host(ulong cgroupId) => workloads[cgroupId] = new Workload(cgroupId, $"/host-{cgroupId}", null, null);

    /// <summary>Makes a cgroup a Docker container with the given metadata.</summary>
    public string Container(ulong cgroupId, string name = "app", string image = "busybox:latest", IReadOnlyList<PublishedPort>? ports = null, Dictionary<string, string>? labels = null)
    {
        string id = cgroupId.ToString("x64", System.Globalization.CultureInfo.InvariantCulture);
        workloads[cgroupId] = new Workload(
            cgroupId,
            $"/docker/{id}",
            new ContainerIdentity(ContainerRuntime.Docker, id),
            new ContainerMetadata { Id = id, Name = name, Image = image, PublishedPorts = ports ?? [], Labels = labels ?? [] });
        return id;
    }

    public static FlowKey Key(ulong cgroup, ushort localPort, string remote = "203.0.113.7", ushort remotePort = 443, FlowProtocol protocol = FlowProtocol.Tcp) =>
        new(cgroup, 4, protocol, FlowAddress.FromIPAddress(IPAddress.Parse("10.1.0.2")), localPort, FlowAddress.FromIPAddress(IPAddress.Parse(remote)), remotePort);

    /// <summary>One flow's state as the source reads it at <see cref="Now"/>.</summary>
    public void Flow(FlowKey key, ulong txPayload, ulong rxPayload, long firstSeen, byte txFlags = 0x1b, byte rxFlags = 0x12, FlowInitiator initiator = FlowInitiator.Local, long? lastSeen = null) =>
        Table.Observe(new FlowSample(
            key,
            new FlowCounters(txPayload > 0 ? 4u : 1u, 200 + txPayload, txPayload),
            new FlowCounters(rxFlags == 0 ? 0u : 3u, rxFlags == 0 ? 0u : 150 + rxPayload, rxPayload),
            txFlags,
            rxFlags,
            initiator,
            firstSeen,
            lastSeen ?? firstSeen));

    /// <summary>A poll: whatever <paramref name="flows"/> reports, then the detections, at <paramref name="at"/>.</summary>
    public void Poll(long at, Action? flows = null)
    {
        now = at;
        Table.BeginPoll();
        flows?.Invoke();
        Table.EndPoll(now, 3600 * Second, []);
        Engine.Evaluate(Table, now);
    }

    public void Exec(string containerId, long at, string command) =>
        Engine.Observe(new RuntimeEvent(UnixTime.ToDateTimeOffset(at), RuntimeEventKind.ExecCreate, containerId, Command: command));
}
