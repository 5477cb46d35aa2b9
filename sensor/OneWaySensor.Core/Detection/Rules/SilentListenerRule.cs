using System.Globalization;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Containers;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Rules;

/// <summary>
/// silent_listener, the ADS's own example (`docker run -p 8080:80`): a
/// container publishes a port that receives no inbound traffic for the whole
/// window while the container itself sends outbound.
/// </summary>
internal static class SilentListenerRule
{
    public static Candidate? Evaluate(Workload workload, IReadOnlyList<FlowState> cgroupFlows, long observedSinceUnixNs, RuleContext context)
    {
        // one binding per address family publishes the same port twice: count it once
        List<PublishedPort> ports = (workload.Metadata?.PublishedPorts ?? [])
            .DistinctBy(port => (port.Protocol, port.ContainerPort, port.HostPort))
            .ToList();
        if (ports.Count == 0 || context.NowUnixNs - observedSinceUnixNs < context.WindowNs)
        {
            return null;
        }

        long since = context.NowUnixNs - context.WindowNs;
        bool inbound = cgroupFlows.Any(flow => flow.Initiator == FlowInitiator.Remote
            && flow.LastSeenUnixNs >= since
            && ports.Any(port => port.ContainerPort == flow.Key.LocalPort && Protocol(port) == flow.Key.Protocol));
        List<FlowState> outbound = cgroupFlows
            .Where(flow => flow.Initiator == FlowInitiator.Local && flow.Tx.PayloadBytes > 0 && flow.LastSeenUnixNs >= since)
            .ToList();
        if (inbound || outbound.Count == 0)
        {
            return null;
        }

        PublishedPort first = ports[0];
        FlowState latest = outbound.MaxBy(flow => flow.LastSeenUnixNs);
        int destinations = outbound.Select(flow => DestinationKey.Of(flow.Key)).Distinct().Count();
        string published = string.Join(", ", ports.Select(port => $"{port.HostPort?.ToString(CultureInfo.InvariantCulture) ?? "?"}->{port.ContainerPort}/{port.Protocol}"));
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"published port(s) {published} received nothing in {context.WindowSeconds:0.#} s while the container sent to {destinations} destination(s)");
        var portArray = new JsonArray();
        foreach (PublishedPort port in ports)
        {
            portArray.Add(new JsonObject { ["protocol"] = port.Protocol, ["container_port"] = port.ContainerPort, ["host_port"] = port.HostPort });
        }

        var evidence = new JsonObject
        {
            ["published_ports"] = portArray,
            ["window_seconds"] = context.WindowSeconds,
            ["outbound_destinations"] = destinations,
            ["outbound_flows"] = outbound.Count,
        };
        var destination = new DestinationKey(workload.CgroupId, Protocol(first), 0, 0, (ushort)first.ContainerPort);
        return new Candidate(RuleIds.SilentListener, AlertPriority.Medium, destination, latest, summary, evidence, outbound);
    }

    private static FlowProtocol Protocol(PublishedPort port) =>
        port.Protocol == "udp" ? FlowProtocol.Udp : FlowProtocol.Tcp;
}
