using System.Globalization;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Cgroups;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection;

/// <summary>
/// Runs the detections over the flow table after each poll. For now one
/// rule, one_way_flow: a flow that has carried outbound payload and no
/// inbound payload for the whole window. Each flow raises it once.
/// </summary>
public sealed class DetectionEngine(long windowSeconds, ICgroupDirectory cgroups, IAlertSink sink)
{
    private readonly long windowNs = windowSeconds * UnixTime.NanosecondsPerSecond;
    private readonly List<FlowKey> matches = [];

    public ulong AlertsRaised { get; private set; }

    public void Evaluate(FlowTable table, long nowUnixNs)
    {
        ArgumentNullException.ThrowIfNull(table);
        matches.Clear();
        foreach (FlowState flow in table.Flows)
        {
            if (IsOneWay(flow, nowUnixNs, windowNs))
            {
                matches.Add(flow.Key);
            }
        }

        foreach (FlowKey key in matches)
        {
            ref FlowState flow = ref table.GetRef(key);
            flow.RaisedRules |= RuleIds.OneWayFlowBit;
            sink.Emit(OneWayAlert(flow, nowUnixNs));
            AlertsRaised++;
        }
    }

    /// <summary>Outbound payload, no inbound payload, observed for a whole window, not yet raised.</summary>
    public static bool IsOneWay(in FlowState flow, long nowUnixNs, long windowNs) =>
        (flow.RaisedRules & RuleIds.OneWayFlowBit) == 0
        && flow.Tx.PayloadBytes > 0
        && flow.Rx.PayloadBytes == 0
        && nowUnixNs - flow.FirstSeenUnixNs >= windowNs;

    private Alert OneWayAlert(in FlowState flow, long nowUnixNs)
    {
        double observedSeconds = (nowUnixNs - flow.FirstSeenUnixNs) / (double)UnixTime.NanosecondsPerSecond;
        string remote = FlowAddress.ToIPAddress(flow.Key.RemoteAddress, flow.Key.IpVersion).ToString();
        string summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{AlertJsonWriter.ProtocolName(flow.Key.Protocol)} flow to {remote}:{flow.Key.RemotePort} sent {flow.Tx.PayloadBytes} payload bytes in {flow.Tx.Packets} packets and received no payload in {observedSeconds:0.#} s");
        var evidence = new JsonObject
        {
            ["window_seconds"] = windowNs / UnixTime.NanosecondsPerSecond,
            ["observed_seconds"] = Math.Round(observedSeconds, 3),
            ["tx_tcp_flags"] = flow.TxTcpFlags,
            ["rx_tcp_flags"] = flow.RxTcpFlags,
        };
        return new Alert(
            UnixTime.ToDateTimeOffset(nowUnixNs),
            RuleIds.OneWayFlow,
            AlertPriority.High,
            summary,
            flow.Key.CgroupId,
            cgroups.PathOf(flow.Key.CgroupId),
            flow,
            evidence);
    }
}
