using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Session;
using OneWaySensor.Flows;

namespace OneWaySensor.Windows.Etw;

/// <summary>
/// The Windows fallback source: a real-time kernel trace session with the
/// TCP/IP keyword, whose TcpIp and UdpIp events feed an
/// <see cref="EtwFlowMapper"/>, polled into the <see cref="FlowTable"/> every
/// poll interval, after which <c>afterPoll</c> runs (the detections).
/// <para>
/// Kept as thin as possible because nothing here has run: the project is
/// built and tested on Linux, where ETW does not exist. Everything worth
/// testing is in the mapper, which the tests feed recorded event sequences.
/// </para>
/// <para>
/// Needs an elevated process. A session with its own name (rather than
/// "NT Kernel Logger") takes one of the kernel provider's private session
/// slots, available since Windows 8 and Server 2012, so the sensor does not
/// stop or get stopped by another kernel tracer. Events arrive on the
/// session's thread and polls on a timer's; one lock keeps the mapper and
/// the table single-threaded.
/// </para>
/// </summary>
[SupportedOSPlatform("windows")]
public sealed class EtwNetworkSession : IDisposable
{
    public const string DefaultSessionName = "OneWaySensor-Network";

    private readonly Lock gate = new();
    private readonly EtwFlowMapper mapper;
    private readonly TimeSpan pollInterval;
    private readonly long idleTimeoutNs;
    private readonly Action<long>? afterPoll;
    private readonly string sessionName;
    private TraceEventSession? session;
    private Thread? thread;
    private Timer? pollTimer;

    public EtwNetworkSession(
        FlowTable table,
        TimeSpan pollInterval,
        long idleTimeoutNs,
        IProcessContainerResolver? containers = null,
        Action<long>? afterPoll = null,
        string sessionName = DefaultSessionName)
    {
        mapper = new EtwFlowMapper(table, containers);
        this.pollInterval = pollInterval;
        this.idleTimeoutNs = idleTimeoutNs;
        this.afterPoll = afterPoll;
        this.sessionName = sessionName;
    }

    /// <summary>Set when the session's thread stopped on an error.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Events ETW dropped because the sensor did not keep up (its buffers were full).</summary>
    public int EventsLost => session?.EventsLost ?? 0;

    public EtwMapperCounters Counters
    {
        get
        {
            lock (gate)
            {
                return mapper.Counters;
            }
        }
    }

    /// <exception cref="EtwSessionException">Not elevated, or ETW refused the session.</exception>
    public void Start()
    {
        if (session is not null)
        {
            throw new InvalidOperationException("the ETW session is already started");
        }

        if (TraceEventSession.IsElevated() != true)
        {
            throw new EtwSessionException("the ETW source needs an elevated (administrator) process to trace kernel network events");
        }

        try
        {
            session = new TraceEventSession(sessionName) { StopOnDispose = true };
            session.EnableKernelProvider(KernelTraceEventParser.Keywords.NetworkTCPIP);
        }
        catch (Exception error) when (error is UnauthorizedAccessException or COMException or NotSupportedException)
        {
            session?.Dispose();
            session = null;
            throw new EtwSessionException($"kernel trace session {sessionName}: {error.Message}", error);
        }

        Subscribe(session.Source.Kernel);
        thread = new Thread(ProcessEvents) { IsBackground = true, Name = "etw-source" };
        thread.Start();
        pollTimer = new Timer(_ => Poll(), null, pollInterval, pollInterval);
    }

    /// <summary>Stops the session, then polls once more so nothing already counted is lost.</summary>
    public void Stop()
    {
        pollTimer?.Dispose();
        pollTimer = null;
        session?.Stop();
        thread?.Join();
        thread = null;
        Poll();
    }

    public void Dispose()
    {
        Stop();
        session?.Dispose();
        session = null;
    }

    private void Subscribe(KernelTraceEventParser kernel)
    {
        kernel.TcpIpSend += data => Add(NetworkEventKind.TcpSend, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
        kernel.TcpIpSendIPV6 += data => Add(NetworkEventKind.TcpSend, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
        kernel.TcpIpRecv += data => Add(NetworkEventKind.TcpRecv, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
        kernel.TcpIpRecvIPV6 += data => Add(NetworkEventKind.TcpRecv, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
        kernel.TcpIpConnect += data => Add(NetworkEventKind.TcpConnect, data, data.saddr, data.sport, data.daddr, data.dport, 0);
        kernel.TcpIpConnectIPV6 += data => Add(NetworkEventKind.TcpConnect, data, data.saddr, data.sport, data.daddr, data.dport, 0);
        kernel.TcpIpAccept += data => Add(NetworkEventKind.TcpAccept, data, data.saddr, data.sport, data.daddr, data.dport, 0);
        kernel.TcpIpAcceptIPV6 += data => Add(NetworkEventKind.TcpAccept, data, data.saddr, data.sport, data.daddr, data.dport, 0);
        kernel.TcpIpDisconnect += data => Add(NetworkEventKind.TcpDisconnect, data, data.saddr, data.sport, data.daddr, data.dport, 0);
        kernel.TcpIpDisconnectIPV6 += data => Add(NetworkEventKind.TcpDisconnect, data, data.saddr, data.sport, data.daddr, data.dport, 0);
        kernel.TcpIpRetransmit += data => Add(NetworkEventKind.TcpRetransmit, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
        kernel.TcpIpRetransmitIPV6 += data => Add(NetworkEventKind.TcpRetransmit, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
        kernel.UdpIpSend += data => Add(NetworkEventKind.UdpSend, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
        kernel.UdpIpSendIPV6 += data => Add(NetworkEventKind.UdpSend, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
        kernel.UdpIpRecv += data => Add(NetworkEventKind.UdpRecv, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
        kernel.UdpIpRecvIPV6 += data => Add(NetworkEventKind.UdpRecv, data, data.saddr, data.sport, data.daddr, data.dport, data.size);
    }

    private void Add(NetworkEventKind kind, TraceEvent data, IPAddress saddr, int sport, IPAddress daddr, int dport, int size)
    {
        NetworkEvent networkEvent = KernelEventConversions.From(kind, data, saddr, sport, daddr, dport, size);
        lock (gate)
        {
            mapper.Add(networkEvent);
        }
    }

    private void Poll()
    {
        lock (gate)
        {
            long now = UnixTime.FromDateTimeOffset(DateTimeOffset.UtcNow);
            mapper.Poll(now, idleTimeoutNs);
            afterPoll?.Invoke(now);
        }
    }

    private void ProcessEvents()
    {
        try
        {
            // returns when the session stops
            session!.Source.Process();
        }
#pragma warning disable CA1031 // the thread must record its failure for the host, not die silently
        catch (Exception error)
#pragma warning restore CA1031
        {
            Failure = error;
        }
    }
}
