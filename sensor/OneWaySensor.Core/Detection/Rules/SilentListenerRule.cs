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
        IReadOnlyList<PublishedPort> publishedPorts = workload.Metadata?.PublishedPorts ?? [];
        long since = context.NowUnixNs - context.WindowNs;
        if (publishedPorts.Count == 0 || context.NowUnixNs - observedSinceUnixNs < context.WindowNs
            || AnyInbound(cgroupFlows, publishedPorts, since) || !AnyOutbound(cgroupFlows, since))
        {
            return null; // judged for every such container on every poll: decided without allocating
        }

        return Build(workload, cgroupFlows, publishedPorts, since, context);
    }

    /// <summary>The candidate, apart: its lambdas' captures would otherwise be allocated on every call of <see cref="Evaluate"/>.</summary>
    private static Candidate Build(Workload workload, IReadOnlyList<FlowState> cgroupFlows, IReadOnlyList<PublishedPort> publishedPorts, long since, RuleContext context)
    {
        // one binding per address family publishes the same port twice: count it once
        List<PublishedPort> ports = publishedPorts.DistinctBy(port => (port.Protocol, port.ContainerPort, port.HostPort)).ToList();
        List<FlowState> outbound = cgroupFlows.Where(flow => IsOutbound(flow, since)).ToList();

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

    private static bool IsOutbound(in FlowState flow, long since) =>
        flow.Initiator == FlowInitiator.Local && flow.Tx.PayloadBytes > 0 && flow.LastSeenUnixNs >= since;

    private static bool AnyOutbound(IReadOnlyList<FlowState> flows, long since)
    {
        for (int i = 0; i < flows.Count; i++)
        {
            if (IsOutbound(flows[i], since))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether any published port received a connection or datagram within the window.</summary>
    private static bool AnyInbound(IReadOnlyList<FlowState> flows, IReadOnlyList<PublishedPort> ports, long since)
    {
        for (int i = 0; i < flows.Count; i++)
        {
            FlowState flow = flows[i];
            if (flow.Initiator != FlowInitiator.Remote || flow.LastSeenUnixNs < since)
            {
                continue;
            }

            for (int p = 0; p < ports.Count; p++)
            {
                if (ports[p].ContainerPort == flow.Key.LocalPort && Protocol(ports[p]) == flow.Key.Protocol)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static FlowProtocol Protocol(PublishedPort port) =>
        port.Protocol == "udp" ? FlowProtocol.Udp : FlowProtocol.Tcp;
}
