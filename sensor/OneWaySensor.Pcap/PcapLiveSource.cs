using OneWaySensor.Connections;
using OneWaySensor.Flows;

namespace OneWaySensor.Pcap;

/// <summary>
/// The pcap fallback as a live source: one interface captured on a thread
/// of its own, which also owns the flow table and runs the detections after
/// each poll, as the eBPF source's thread does. Used where eBPF cannot run
/// (macOS, Windows with Npcap, Linux without BTF or the capabilities).
/// </summary>
public sealed class PcapLiveSource : IDisposable
{
    private readonly CaptureReader reader;
    private readonly CaptureFlowSource flows;
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread thread;
    private Exception? failure;

    private PcapLiveSource(CaptureReader reader, CaptureFlowSource flows)
    {
        this.reader = reader;
        this.flows = flows;
        thread = new Thread(Run) { IsBackground = true, Name = "ows-pcap" };
    }

    public CaptureCounters Counters => flows.Counters;

    /// <summary>Packets libpcap dropped before the sensor read them.</summary>
    public ulong Dropped => reader.Dropped;

    /// <summary>Set when reading failed for good; the host stops with it.</summary>
    public Exception? Failure => Volatile.Read(ref failure);

    /// <exception cref="CaptureException">The interface does not exist or cannot be opened (CAP_NET_RAW).</exception>
    public static PcapLiveSource Open(string interfaceName, FlowTable table, long pollIntervalNs, long idleTimeoutNs, Action<long> afterPoll, IAddressAttribution? attribution = null)
    {
        CaptureReader reader = CaptureReader.OpenLive(interfaceName);
        return new PcapLiveSource(reader, new CaptureFlowSource(table, pollIntervalNs, idleTimeoutNs, afterPoll, attribution: attribution));
    }

    public void Start() => thread.Start();

    public void Stop()
    {
        stopping.Cancel();
        if (thread.IsAlive)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    public void Dispose()
    {
        Stop();
        reader.Dispose();
        stopping.Dispose();
    }

    private void Run()
    {
        try
        {
            flows.Run(reader, stopping.Token);
        }
        catch (CaptureException error)
        {
            Volatile.Write(ref failure, error);
        }
    }
}
