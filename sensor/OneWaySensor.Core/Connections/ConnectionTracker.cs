using System.Runtime.CompilerServices;
using OneWaySensor.Detection.Scoring;
using OneWaySensor.Flows;
using OneWaySensor.Packets;

namespace OneWaySensor.Connections;

/// <summary>
/// Connections from packets, as Zeek's conn.log counts them: who originated
/// each, its TCP states and history, packets and IP bytes each way, payload
/// from the sequence space (TCP) or the datagrams (UDP, ICMP), and when a
/// 5-tuple's next packet begins a new connection (after a close, a reset or
/// a spell of inactivity). Packets arrive in capture order; nothing is
/// allocated per packet, one table slot per connection.
/// </summary>
/// <param name="finished">Told of each connection as it ends, as a conn.log record.</param>
/// <param name="closing">Sees each connection's final state in place just before it ends (the flow table's last reading).</param>
public sealed class ConnectionTracker(Action<ConnectionRecord> finished, ConnectionVisitor? closing = null)
{
    private const long Second = 1_000_000_000;
    private const byte NoNextHeader = 59;

    private readonly Dictionary<ConnectionKey, int> index = [];
    private readonly Stack<int> free = new();
    private Connection[] table = new Connection[1024];
    private int used;

    public int Count => index.Count;

    /// <summary>Packets that were not first fragments of their datagram and so could not be attributed to a connection.</summary>
    public ulong LaterFragments { get; private set; }

    /// <summary>Segments dropped for a bad checksum (only when the parser verified checksums).</summary>
    public ulong BadChecksums { get; private set; }

    /// <summary>Accounts every layer Zeek logs a connection for: the innermost, and UDP tunnels (VXLAN, Teredo) around it.</summary>
    public void Observe(in PacketLayers packet, long timeUnixNs)
    {
        for (int i = 0; i < packet.Count; i++)
        {
            IpLayer layer = packet.Layers[i];
            bool innermost = i == packet.Count - 1;
            if (innermost || layer.Carries is Encapsulation.Vxlan or Encapsulation.Teredo)
            {
                Observe(layer, timeUnixNs);
            }
        }
    }

    /// <summary>One IP layer of one packet.</summary>
    public void Observe(in IpLayer layer, long timeUnixNs)
    {
        if (layer.IsFragment && layer.FragmentOffset != 0)
        {
            LaterFragments++;
            return;
        }

        if (layer.Protocol == NoNextHeader)
        {
            return; // an IPv6 packet with nothing in it (a Teredo bubble): Zeek makes no connection of it
        }

        (ConnectionKey key, bool fromOriginator) = KeyOf(layer);
        ref Connection connection = ref Find(key, ref fromOriginator, out bool found);
        if (found && (timeUnixNs > connection.ExpiresUnixNs || IsReuse(connection, layer, fromOriginator)))
        {
            Finish(connection.Key);
            found = false;
        }

        if (!found)
        {
            bool flip = fromOriginator && ShouldFlip(layer);
            if (flip)
            {
                key = key.Flipped;
                fromOriginator = !fromOriginator;
            }

            connection = ref Add(key, timeUnixNs);
            if (flip)
            {
                connection.History.Add('^');
            }
        }

        if (layer.ChecksumChecked && !layer.ChecksumValid)
        {
            BadChecksums++;
            connection.History.Check(HistoryKind.BadChecksum, fromOriginator, 'C');
            return;
        }

        connection.LastSeenUnixNs = Math.Max(connection.LastSeenUnixNs, timeUnixNs);
        if (fromOriginator)
        {
            connection.OrigPackets++;
            connection.OrigIpBytes += layer.IpBytes;
        }
        else
        {
            connection.RespPackets++;
            connection.RespIpBytes += layer.IpBytes;
        }

        switch (layer.Protocol)
        {
            case (byte)FlowProtocol.Tcp when layer.HasTransportHeader:
                TcpStateMachine.Packet(ref connection, layer, fromOriginator, this);
                break;
            case (byte)FlowProtocol.Udp:
                Datagram(ref connection, layer, fromOriginator, letter: true);
                break;
            case (byte)FlowProtocol.Icmp or (byte)FlowProtocol.IcmpV6:
                Datagram(ref connection, layer, fromOriginator, letter: false);
                break;
        }

        connection.ExpiresUnixNs = Expiry(connection);
    }

    /// <summary>Reports every open connection as finished (the end of a capture).</summary>
    public void FinishAll()
    {
        List<(long First, ConnectionKey Key)> open = [.. index.Select(pair => (table[pair.Value].FirstSeenUnixNs, pair.Key))];
        foreach ((_, ConnectionKey key) in open.OrderBy(entry => entry.First))
        {
            Finish(key);
        }
    }

    /// <summary>Reports the connections no packet has renewed by <paramref name="nowUnixNs"/>.</summary>
    public void FinishExpired(long nowUnixNs)
    {
        List<ConnectionKey> expired = [.. index.Where(pair => table[pair.Value].ExpiresUnixNs < nowUnixNs).Select(pair => pair.Key)];
        foreach (ConnectionKey key in expired)
        {
            Finish(key);
        }
    }

    /// <summary>Every open connection, by reference, for a reader of cumulative counters (the flow table's polls).</summary>
    public void ForEachOpen(ConnectionVisitor visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        foreach (int slot in index.Values)
        {
            visit(ref table[slot]);
        }
    }

    /// <summary>Swaps originator and responder (Zeek's FlipRoles): a SYN/SYN-ACK exchange seen reversed.</summary>
    internal void FlipRoles(ref Connection connection)
    {
        int slot = index[connection.Key];
        index.Remove(connection.Key);
        connection.Key = connection.Key.Flipped;
        (connection.Orig, connection.Resp) = (connection.Resp, connection.Orig);
        (connection.OrigPackets, connection.RespPackets) = (connection.RespPackets, connection.OrigPackets);
        (connection.OrigIpBytes, connection.RespIpBytes) = (connection.RespIpBytes, connection.OrigIpBytes);
        (connection.OrigPayload, connection.RespPayload) = (connection.RespPayload, connection.OrigPayload);
        (connection.OrigSent, connection.RespSent) = (connection.RespSent, connection.OrigSent);
        (connection.OrigFlags, connection.RespFlags) = (connection.RespFlags, connection.OrigFlags);
        connection.History.Add('^');
        index[connection.Key] = slot;
    }

    private static void Datagram(ref Connection connection, in IpLayer layer, bool fromOriginator, bool letter)
    {
        if (fromOriginator)
        {
            connection.OrigSent = true;
            connection.OrigPayload += layer.PayloadBytes;
        }
        else
        {
            connection.RespSent = true;
            connection.RespPayload += layer.PayloadBytes;
        }

        if (letter)
        {
            connection.History.Check(HistoryKind.Data, fromOriginator, 'D');
        }
    }

    /// <summary>The key of a packet as though its sender originated the connection.</summary>
    private static (ConnectionKey Key, bool FromOriginator) KeyOf(in IpLayer layer)
    {
        switch (layer.Protocol)
        {
            case (byte)FlowProtocol.Tcp or (byte)FlowProtocol.Udp:
                return (new ConnectionKey(layer.Protocol, layer.IpVersion, layer.Source, layer.SourcePort, layer.Destination, layer.DestinationPort), true);
            case (byte)FlowProtocol.Icmp or (byte)FlowProtocol.IcmpV6:
                // the first message's sender originates; its answer comes back on the flipped key
                byte type = (byte)layer.SourcePort;
                ushort responderPort = IcmpCounterpart.Of(type, layer.Protocol == (byte)FlowProtocol.IcmpV6) ?? layer.DestinationPort;
                return (new ConnectionKey(layer.Protocol, layer.IpVersion, layer.Source, type, layer.Destination, responderPort), true);
            default:
                return (new ConnectionKey(layer.Protocol, layer.IpVersion, layer.Source, 0, layer.Destination, 0), true);
        }
    }

    /// <summary>
    /// Zeek's guess at a connection's true originator from its first packet:
    /// a SYN-ACK comes from the responder; otherwise a packet from a likely
    /// server port to an ordinary one (or, both being likely, a non-SYN from
    /// the lower port) does. A datagram to a broadcast or multicast address
    /// keeps its sender as the originator.
    /// </summary>
    private static bool ShouldFlip(in IpLayer layer)
    {
        byte protocol = layer.Protocol;
        bool sourceServer = LikelyServerPorts.Contains(protocol, layer.SourcePort);
        bool destinationServer = LikelyServerPorts.Contains(protocol, layer.DestinationPort);
        if (protocol == (byte)FlowProtocol.Udp)
        {
            return sourceServer && !destinationServer && !IsGroupAddress(layer.Destination, layer.IpVersion);
        }

        if (protocol != (byte)FlowProtocol.Tcp)
        {
            return false;
        }

        bool syn = (layer.TcpFlags & TcpFlags.Syn) != 0;
        bool ack = (layer.TcpFlags & TcpFlags.Ack) != 0;
        if (syn)
        {
            return ack;
        }

        return sourceServer && (!destinationServer || layer.SourcePort < layer.DestinationPort);
    }

    /// <summary>IPv4 limited broadcast or multicast, IPv6 multicast.</summary>
    private static bool IsGroupAddress(UInt128 address, byte ipVersion)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, in address);
        return ipVersion == 4
            ? (bytes[0] & 0xF0) == 0xE0 || (bytes[0] == 255 && bytes[1] == 255 && bytes[2] == 255 && bytes[3] == 255)
            : bytes[0] == 0xFF;
    }

    /// <summary>
    /// A new SYN on a connection that was reset, or closed by a side whose
    /// sequence space it does not continue: Zeek's connection reuse, so a
    /// retried attempt after a rejection is a connection of its own.
    /// </summary>
    private static bool IsReuse(in Connection connection, in IpLayer layer, bool fromOriginator)
    {
        if (layer.Protocol != (byte)FlowProtocol.Tcp || (layer.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) != TcpFlags.Syn)
        {
            return false;
        }

        if (connection.Orig.State == EndpointState.Reset || connection.Resp.State == EndpointState.Reset)
        {
            return true;
        }

        bool closed = connection.Orig.State == EndpointState.Closed || connection.Resp.State == EndpointState.Closed;
        TcpEndpoint sender = fromOriginator ? connection.Orig : connection.Resp;
        return closed && layer.TcpSequence != sender.StartSeq;
    }

    /// <summary>
    /// Zeek's timers: an attempt nobody answered is given up 5 s after it
    /// began, however much more the originator sends; close and reset delays
    /// after the last packet; otherwise inactivity per transport.
    /// </summary>
    private static long Expiry(in Connection connection)
    {
        if (connection.Key.Protocol == (byte)FlowProtocol.Tcp
            && connection.Resp.State == EndpointState.Inactive
            && connection.Orig.State is EndpointState.SynSent or EndpointState.SynAckSent)
        {
            return connection.FirstSeenUnixNs + (5 * Second);
        }

        return connection.LastSeenUnixNs + Timeout(connection);
    }

    private static long Timeout(in Connection connection)
    {
        if (connection.Key.Protocol == (byte)FlowProtocol.Udp && (connection.Key.OrigPort == 53 || connection.Key.RespPort == 53))
        {
            return 10 * Second; // Zeek's DNS session timeout
        }

        if (connection.Key.Protocol != (byte)FlowProtocol.Tcp)
        {
            return 60 * Second;
        }

        EndpointState orig = connection.Orig.State;
        EndpointState resp = connection.Resp.State;
        if (orig == EndpointState.Reset || resp == EndpointState.Reset)
        {
            return 5 * Second;
        }

        if (orig == EndpointState.Closed && resp == EndpointState.Closed)
        {
            return 5 * Second;
        }

        if ((orig == EndpointState.Closed && resp is EndpointState.Inactive or EndpointState.Partial)
            || (resp == EndpointState.Closed && orig is EndpointState.Inactive or EndpointState.Partial))
        {
            return 3 * Second;
        }

        return 300 * Second;
    }

    private ref Connection Find(ConnectionKey key, ref bool fromOriginator, out bool found)
    {
        if (index.TryGetValue(key, out int slot))
        {
            found = true;
            return ref table[slot];
        }

        if (index.TryGetValue(key.Flipped, out slot))
        {
            found = true;
            fromOriginator = !fromOriginator;
            return ref table[slot];
        }

        found = false;
        return ref Unsafe.NullRef<Connection>();
    }

    private ref Connection Add(ConnectionKey originatorKey, long timeUnixNs)
    {
        if (!free.TryPop(out int slot))
        {
            if (used == table.Length)
            {
                Array.Resize(ref table, table.Length * 2);
            }

            slot = used++;
        }

        table[slot] = new Connection { Key = originatorKey, FirstSeenUnixNs = timeUnixNs, LastSeenUnixNs = timeUnixNs };
        index[originatorKey] = slot;
        return ref table[slot];
    }

    private void Finish(ConnectionKey key)
    {
        if (!index.Remove(key, out int slot))
        {
            return;
        }

        closing?.Invoke(ref table[slot]);
        finished(ConnectionRecords.From(table[slot]));
        table[slot] = default;
        free.Push(slot);
    }
}

/// <summary>Visits one open connection in place.</summary>
public delegate void ConnectionVisitor(ref Connection connection);
