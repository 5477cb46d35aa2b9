using System.Net;
using System.Net.Sockets;

namespace OneWaySensor.Tests.Support;

/// <summary>
/// A TCP or UDP server on a loopback address, run by the test process (so
/// in the test's cgroup, not the sender's). It either echoes what it gets or
/// reads and never answers. It stops when disposed; every read has a deadline.
/// </summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly Socket listener;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    private LoopbackServer(Socket listener, Func<Socket, CancellationToken, Task> serve)
    {
        this.listener = listener;
        loop = Task.Run(() => serve(listener, stop.Token));
    }

    public int Port => ((IPEndPoint)listener.LocalEndPoint!).Port;

    public static LoopbackServer Tcp(IPAddress address, bool echo)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        socket.Listen(16);
        return new LoopbackServer(socket, (listener, token) => AcceptLoop(listener, echo, token));
    }

    public static LoopbackServer Udp(IPAddress address, bool echo)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return new LoopbackServer(socket, (server, token) => DatagramLoop(server, echo, token));
    }

    private static async Task AcceptLoop(Socket listener, bool echo, CancellationToken token)
    {
        var connections = new List<Task>();
        try
        {
            while (!token.IsCancellationRequested)
            {
                Socket connection = await listener.AcceptAsync(token);
                connections.Add(Serve(connection, echo, token));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(connections);
    }

    private static async Task Serve(Socket connection, bool echo, CancellationToken token)
    {
        using (connection)
        {
            var buffer = new byte[65536];
            try
            {
                while (true)
                {
                    int read = await connection.ReceiveAsync(buffer, SocketFlags.None, token);
                    if (read == 0)
                    {
                        break; // the peer half-closed: close too
                    }

                    if (echo)
                    {
                        await connection.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, token);
                    }
                }
            }
            catch (Exception error) when (error is OperationCanceledException or SocketException)
            {
            }
        }
    }

    private static async Task DatagramLoop(Socket server, bool echo, CancellationToken token)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        try
        {
            while (!token.IsCancellationRequested)
            {
                SocketReceiveFromResult received = await server.ReceiveFromAsync(buffer, SocketFlags.None, any, token);
                if (echo)
                {
                    await server.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, token);
                }
            }
        }
        catch (Exception error) when (error is OperationCanceledException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Dispose();
        loop.Wait(TimeSpan.FromSeconds(5));
        stop.Dispose();
    }
}
