using System.Net;
using OneWaySensor.Flows;
using OneWaySensor.Windows.Etw;

namespace OneWaySensor.Tests.Etw;

/// <summary>
/// Builds event sequences as a kernel trace session delivers them for one
/// socket, one event a millisecond unless told otherwise, and replays them
/// into a mapper. Each builder call is one recorded TcpIp or UdpIp event.
/// </summary>
internal sealed class EtwRecording
{
    public const long Second = UnixTime.NanosecondsPerSecond;
    public const long Millisecond = Second / 1000;
    public const long Start = 1_800_000_000 * Second;

    private readonly List<NetworkEvent> events = [];
    private long now = Start;

    public IReadOnlyList<NetworkEvent> Events => events;

    /// <summary>The time the next event is stamped with.</summary>
    public long Now => now;

    public EtwRecording Connect(Socket socket) => Record(NetworkEventKind.TcpConnect, socket, 0);

    public EtwRecording Accept(Socket socket) => Record(NetworkEventKind.TcpAccept, socket, 0);

    public EtwRecording Send(Socket socket, uint bytes) => Record(NetworkEventKind.TcpSend, socket, bytes);

    public EtwRecording Recv(Socket socket, uint bytes) => Record(NetworkEventKind.TcpRecv, socket, bytes);

    public EtwRecording Retransmit(Socket socket, uint bytes) => Record(NetworkEventKind.TcpRetransmit, socket, bytes);

    public EtwRecording Disconnect(Socket socket) => Record(NetworkEventKind.TcpDisconnect, socket, 0);

    public EtwRecording UdpSend(Socket socket, uint bytes) => Record(NetworkEventKind.UdpSend, socket, bytes);

    public EtwRecording UdpRecv(Socket socket, uint bytes) => Record(NetworkEventKind.UdpRecv, socket, bytes);

    /// <summary>Moves the clock on without an event.</summary>
    public EtwRecording Wait(long nanoseconds)
    {
        now += nanoseconds;
        return this;
    }

    /// <summary>Hands every event recorded so far, in order, to <paramref name="mapper"/>, and forgets them.</summary>
    public void ReplayInto(EtwFlowMapper mapper)
    {
        foreach (NetworkEvent networkEvent in events)
        {
            mapper.Add(networkEvent);
        }

        events.Clear();
    }

    private EtwRecording Record(NetworkEventKind kind, Socket socket, uint size)
    {
        events.Add(new NetworkEvent(
            kind,
            socket.Pid,
            socket.Local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? (byte)6 : (byte)4,
            FlowAddress.FromIPAddress(socket.Local),
            socket.LocalPort,
            FlowAddress.FromIPAddress(socket.Remote),
            socket.RemotePort,
            size,
            now));
        now += Millisecond;
        return this;
    }

    /// <summary>One socket's tuple and owner; local is this host.</summary>
    internal sealed record Socket(uint Pid, IPAddress Local, ushort LocalPort, IPAddress Remote, ushort RemotePort)
    {
        public static Socket Of(uint pid, string local, ushort localPort, string remote, ushort remotePort) =>
            new(pid, IPAddress.Parse(local), localPort, IPAddress.Parse(remote), remotePort);

        public FlowKey Key(FlowProtocol protocol = FlowProtocol.Tcp, ulong cgroupId = 0) => new(
            cgroupId,
            Local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? (byte)6 : (byte)4,
            protocol,
            FlowAddress.FromIPAddress(Local),
            LocalPort,
            FlowAddress.FromIPAddress(Remote),
            RemotePort);
    }
}
