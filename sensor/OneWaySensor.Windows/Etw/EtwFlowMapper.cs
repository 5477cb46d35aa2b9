using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OneWaySensor.Flows;
using OneWaySensor.Processes;

namespace OneWaySensor.Windows.Etw;

/// <summary>What the mapper has counted; events it could not use first.</summary>
/// <param name="Events">Every event handed to <see cref="EtwFlowMapper.Add"/>.</param>
/// <param name="Malformed">Events with an IP version other than 4 or 6, or an unknown kind: dropped.</param>
/// <param name="UnseenDisconnects">Disconnects of connections the mapper never saw (opened and idle before the session): dropped, since they carry no traffic.</param>
/// <param name="Reused">Connects or accepts on a tuple whose earlier connection had closed: a new flow incarnation.</param>
/// <param name="ActiveFlows">Flows the mapper holds now.</param>
public readonly record struct EtwMapperCounters(ulong Events, ulong Malformed, ulong UnseenDisconnects, ulong Reused, ulong ActiveFlows);

/// <summary>
/// Turns a stream of <see cref="NetworkEvent"/>s into the sensor's flow
/// model. ETW reports events, not flow state, so the mapper keeps, per flow,
/// the cumulative reading a kernel flow map keeps on Linux (counters, TCP
/// flags it can infer, initiator, times) and plays the part of a source
/// towards the <see cref="FlowTable"/>: each new flow is reported as it
/// appears (<see cref="FlowTable.Open"/>), and each <see cref="Poll"/>
/// reports every flow's reading and expires the idle ones.
/// <para>
/// The flow's cgroup id is the container key of the owning process, from
/// the <see cref="IProcessContainerResolver"/>. Single-threaded like the
/// table: call <see cref="Add"/> and <see cref="Poll"/> from one thread or
/// under one lock. Nothing is allocated per event; a flow costs one
/// dictionary entry, held by value.
/// </para>
/// </summary>
public sealed class EtwFlowMapper
{
    private readonly FlowTable table;
    private readonly IProcessContainerResolver containers;
    private readonly Dictionary<FlowKey, TrackedFlow> flows;
    private readonly List<FlowKey> idle = [];
    private ulong events;
    private ulong malformed;
    private ulong unseenDisconnects;
    private ulong reused;

    public EtwFlowMapper(FlowTable table, IProcessContainerResolver? containers = null, int expectedFlows = 1024)
    {
        ArgumentNullException.ThrowIfNull(table);
        this.table = table;
        this.containers = containers ?? HostOnlyContainerResolver.Instance;
        flows = new Dictionary<FlowKey, TrackedFlow>(expectedFlows);
    }

    public EtwMapperCounters Counters => new(events, malformed, unseenDisconnects, reused, (ulong)flows.Count);

    /// <summary>Counts one event into its flow; a flow's first event reports it to the table.</summary>
    public void Add(in NetworkEvent networkEvent)
    {
        events++;
        if (networkEvent.IpVersion is not (4 or 6) || networkEvent.Kind > NetworkEventKind.UdpRecv)
        {
            malformed++;
            return;
        }

        FlowKey key = KeyOf(networkEvent);
        ref TrackedFlow flow = ref CollectionsMarshal.GetValueRefOrNullRef(flows, key);
        bool known = !Unsafe.IsNullRef(ref flow);
        if (!known && networkEvent.Kind == NetworkEventKind.TcpDisconnect)
        {
            unseenDisconnects++;
            return;
        }

        bool reuse = known && flow.Closed && TrackedFlow.IsHandshake(networkEvent.Kind);
        if (reuse)
        {
            // the table gets the old connection's last reading before the new one replaces it
            table.Observe(flow.Sample(key));
            reused++;
        }

        if (!known)
        {
            flow = ref CollectionsMarshal.GetValueRefOrAddDefault(flows, key, out _);
        }

        if (!known || reuse)
        {
            flow = TrackedFlow.Start(networkEvent);
            flow.Apply(networkEvent, key.Protocol);
            table.Open(OpeningOf(key, flow, networkEvent));
            return;
        }

        flow.Apply(networkEvent, key.Protocol);
    }

    /// <summary>
    /// Reports every flow's reading to the table, then forgets the flows idle
    /// for longer than <paramref name="idleTimeoutNs"/> at <paramref name="nowUnixNs"/>.
    /// </summary>
    public void Poll(long nowUnixNs, long idleTimeoutNs)
    {
        table.BeginPoll();
        foreach (KeyValuePair<FlowKey, TrackedFlow> pair in flows)
        {
            table.Observe(pair.Value.Sample(pair.Key));
        }

        idle.Clear();
        table.EndPoll(nowUnixNs, idleTimeoutNs, idle);
        foreach (FlowKey key in idle)
        {
            // the reading just observed is the flow's last: no event can come between
            flows.Remove(key);
            table.Expire(key);
        }
    }

    private FlowKey KeyOf(in NetworkEvent networkEvent) => new(
        containers.ContainerOf(networkEvent.ProcessId),
        networkEvent.IpVersion,
        networkEvent.Kind is NetworkEventKind.UdpSend or NetworkEventKind.UdpRecv ? FlowProtocol.Udp : FlowProtocol.Tcp,
        networkEvent.LocalAddress,
        networkEvent.LocalPort,
        networkEvent.RemoteAddress,
        networkEvent.RemotePort);

    /// <summary>The opening carries the first event's direction; the other direction's flags come with the next poll.</summary>
    private static FlowOpening OpeningOf(in FlowKey key, in TrackedFlow flow, in NetworkEvent first)
    {
        bool outbound = TrackedFlow.IsOutbound(first.Kind);
        return new FlowOpening(
            key,
            flow.Initiator,
            outbound,
            outbound ? flow.Tx : flow.Rx,
            outbound ? flow.TxTcpFlags : flow.RxTcpFlags,
            flow.FirstSeenUnixNs,
            new ProcessRef { Tgid = first.ProcessId });
    }
}
