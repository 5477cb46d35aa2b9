using OneWaySensor.Connections;
using OneWaySensor.Flows;
using OneWaySensor.Packets;

namespace OneWaySensor.Pcap;

/// <summary>
/// The pcap source: packets from a <see cref="CaptureReader"/> are parsed
/// and tracked as connections, and every poll interval (of capture time, so
/// a replay runs at the speed of the disk with the capture's own clock) the
/// connections' cumulative counters go into the <see cref="FlowTable"/>,
/// exactly as the eBPF source reads its kernel map; then
/// <paramref name="afterPoll"/> runs the detections.
/// </summary>
public sealed class CaptureFlowSource(
    FlowTable table,
    long pollIntervalNs,
    long idleTimeoutNs,
    Action<long> afterPoll,
    Action<ConnectionRecord>? finished = null,
    bool verifyChecksums = false,
    IAddressAttribution? attribution = null)
{
    private readonly List<FlowKey> idle = [];
    private ConnectionTracker? tracker;
    private long nextPollUnixNs;

    public CaptureCounters Counters { get; } = new();

    public ConnectionTracker Tracker => tracker ??= new ConnectionTracker(record => finished?.Invoke(record), Observe);

    /// <summary>The last packet's time, or the last poll's.</summary>
    public long NowUnixNs { get; private set; }

    /// <summary>
    /// Reads until the file ends or <paramref name="stop"/> is cancelled. A
    /// live capture (the only reader that can have nothing yet) polls on the
    /// wall clock when no packet comes.
    /// </summary>
    /// <exception cref="CaptureException">The capture is damaged past some point; everything before it was counted.</exception>
    public void Run(CaptureReader reader, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var layers = default(PacketLayers);
        while (!stop.IsCancellationRequested)
        {
            if (!reader.TryRead(out CapturedPacket packet, out bool ended))
            {
                if (ended)
                {
                    break;
                }

                MaybePoll(UnixTime.FromDateTimeOffset(DateTimeOffset.UtcNow));
                continue;
            }

            Counters.Packets++;
            NowUnixNs = Math.Max(NowUnixNs, packet.TimeUnixNs);
            switch (PacketParser.Parse(packet.Data, reader.LinkType, ref layers, verifyChecksums))
            {
                case PacketParseResult.Ip:
                    Counters.IpPackets++;
                    Tracker.Observe(layers, packet.TimeUnixNs);
                    break;
                case PacketParseResult.NotIp:
                    Counters.NotIp++;
                    break;
                case PacketParseResult.Truncated:
                    Counters.Truncated++;
                    break;
                case PacketParseResult.Malformed:
                    Counters.Malformed++;
                    break;
                default:
                    Counters.UnknownLinkType++;
                    break;
            }

            // a live packet is stamped as it arrives: its own time serves, with no clock read per packet
            MaybePoll(packet.TimeUnixNs);
        }
    }

    /// <summary>At the end of a capture: every open connection is finished and read one last time.</summary>
    public void Finish()
    {
        Poll(NowUnixNs);
        Tracker.FinishAll();
    }

    private void MaybePoll(long nowUnixNs)
    {
        if (nextPollUnixNs == 0)
        {
            nextPollUnixNs = nowUnixNs + pollIntervalNs;
        }
        else if (nowUnixNs >= nextPollUnixNs)
        {
            nextPollUnixNs = nowUnixNs + pollIntervalNs;
            Poll(nowUnixNs);
        }
    }

    private void Poll(long nowUnixNs)
    {
        NowUnixNs = Math.Max(NowUnixNs, nowUnixNs);
        Tracker.FinishExpired(NowUnixNs);
        table.BeginPoll();
        Tracker.ForEachOpen(Observe);
        idle.Clear();
        table.EndPoll(NowUnixNs, idleTimeoutNs, idle);
        foreach (FlowKey key in idle)
        {
            table.Expire(key);
        }

        afterPoll(NowUnixNs);
    }

    /// <summary>A connection's cumulative counts into the flow table: at each poll, and one last time as it ends.</summary>
    private void Observe(ref Connection connection) => table.Observe(ConnectionFlows.Sample(connection, attribution));
}
