using System.Globalization;
using System.Net;
using System.Text.Json;

namespace OneWaySensor.Tests.Support;

/// <summary>
/// Makes a running sensor raise one_way_flow alerts: a few datagrams from a
/// test cgroup to an IPv6 loopback port that never answers, a new port each
/// time. The ports stay bound until dispose, so none is handed out twice (a
/// second alert to the same destination would be refused as a repeat).
/// </summary>
internal sealed class OneWayAlerts : IDisposable
{
    /// <summary>
    /// Options for a sensor whose test needs only these alerts: every IPv4
    /// destination allowlisted (other tests on the machine may run floods of
    /// one-way IPv4 flows at the same time, whose alerts would queue before
    /// this test's), and no flow summaries.
    /// </summary>
    public static readonly string[] OnlyTheseAlerts =
    [
        "--set", "Detection:Allowlist:0:RemoteCidr=0.0.0.0/0", "--set", "Detection:Allowlist:0:Reason=other tests' IPv4 traffic",
        "--set", "Sensor:FlowSummarySeconds=0",
    ];

    private readonly List<LoopbackServer> sinks = [];

    /// <summary>Sends to a port of its own and waits until stdout has the alert; returns the port.</summary>
    public int Raise(SensorProcess sensor, TestCgroup senders)
    {
        var sink = LoopbackServer.Udp(IPAddress.IPv6Loopback, echo: false);
        sinks.Add(sink);
        TrafficResult.From(senders.Run(RepoPaths.TrafficGenerator, "udp-send", "::1", sink.Port.ToString(CultureInfo.InvariantCulture), "3", "100"));
        sensor.WaitUntil(
            () => SensorOutput.Records(sensor, "alert").Any(alert => SensorOutput.CgroupOf(alert) == senders.Id && RemotePort(alert) == sink.Port),
            TimeSpan.FromSeconds(15),
            $"the alert for port {sink.Port}");
        return sink.Port;
    }

    public static int RemotePort(JsonElement alert) => alert.GetProperty("flow").GetProperty("remote_port").GetInt32();

    /// <summary>The remote ports of one cgroup's alerts among alert lines, in order.</summary>
    public static List<int> PortsOf(IEnumerable<string> alertLines, ulong cgroupId) =>
        [.. alertLines.Select(line => JsonDocument.Parse(line).RootElement).Where(alert => SensorOutput.CgroupOf(alert) == cgroupId).Select(RemotePort)];

    public void Dispose()
    {
        foreach (LoopbackServer sink in sinks)
        {
            sink.Dispose();
        }
    }
}
