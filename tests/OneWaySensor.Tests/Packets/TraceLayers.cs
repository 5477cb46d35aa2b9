using OneWaySensor.Packets;
using OneWaySensor.Pcap;

namespace OneWaySensor.Tests.Packets;

/// <summary>A flow's identity either way round; ICMP and other transports by their addresses alone, as Zeek's ports for them are not ports.</summary>
internal readonly record struct FlowTuple(string Protocol, UInt128 LowAddress, ushort LowPort, UInt128 HighAddress, ushort HighPort)
{
    public static FlowTuple Of(IpLayer layer) => Oriented(
        layer.Protocol switch
        {
            6 => "tcp",
            17 => "udp",
            1 or 58 => "icmp",
            _ => "unknown_transport",
        },
        layer.Source,
        layer.SourcePort,
        layer.Destination,
        layer.DestinationPort);

    public static FlowTuple Of(ZeekFlow flow) => Oriented(flow.Protocol, flow.Originator, flow.OriginatorPort, flow.Responder, flow.ResponderPort);

    private static FlowTuple Oriented(string protocol, UInt128 a, ushort aPort, UInt128 b, ushort bPort)
    {
        if (protocol is not ("tcp" or "udp"))
        {
            aPort = 0;
            bPort = 0;
        }

        return (a, aPort).CompareTo((b, bPort)) <= 0
            ? new FlowTuple(protocol, a, aPort, b, bPort)
            : new FlowTuple(protocol, b, bPort, a, aPort);
    }
}

/// <summary>What the parser made of one trace: results, and packets and IP bytes per flow tuple of innermost and tunnel layers.</summary>
internal sealed class TraceLayers
{
    public Dictionary<PacketParseResult, int> Results { get; } = [];

    /// <summary>Innermost layers: the flows a tunnel carried, or plain packets.</summary>
    public Dictionary<FlowTuple, (long Packets, long IpBytes)> Innermost { get; } = [];

    /// <summary>Outer layers that carried another: tunnel flows such as UDP to 4789.</summary>
    public Dictionary<FlowTuple, (long Packets, long IpBytes)> Tunnels { get; } = [];

    /// <summary>Layers with a checksum found wrong (only when verifying).</summary>
    public int BadChecksums { get; private set; }

    /// <param name="skipBadChecksums">Verify checksums and leave out packets with a wrong one, as Zeek does unless told -C.</param>
    public static TraceLayers Read(string trace, bool skipBadChecksums = false)
    {
        var read = new TraceLayers();
        var layers = default(PacketLayers);
        using CaptureReader reader = CaptureReader.OpenFile(ZeekTraces.PathOf(trace));
        while (reader.TryRead(out CapturedPacket packet, out bool ended) || !ended)
        {
            PacketParseResult result = PacketParser.Parse(packet.Data, reader.LinkType, ref layers, skipBadChecksums);
            read.Results[result] = read.Results.GetValueOrDefault(result) + 1;
            Assert.Equal(result == PacketParseResult.Ip, layers.Count > 0);
            if (skipBadChecksums && HasBadChecksum(layers))
            {
                read.BadChecksums++;
                continue;
            }

            for (int i = 0; i < layers.Count; i++)
            {
                IpLayer layer = layers.Layers[i];
                bool innermost = i == layers.Count - 1;
                Assert.Equal(innermost, layer.Carries == Encapsulation.None);
                Add(innermost ? read.Innermost : read.Tunnels, FlowTuple.Of(layer), layer.IpBytes);
            }
        }

        return read;
    }

    public int Count(PacketParseResult result) => Results.GetValueOrDefault(result);

    public bool Shows(FlowTuple flow) => Innermost.ContainsKey(flow) || Tunnels.ContainsKey(flow);

    public (long Packets, long IpBytes) Totals(FlowTuple flow) =>
        Innermost.TryGetValue(flow, out var totals) || Tunnels.TryGetValue(flow, out totals) ? totals : default;

    private static bool HasBadChecksum(PacketLayers layers)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers.Layers[i].ChecksumChecked && !layers.Layers[i].ChecksumValid)
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(Dictionary<FlowTuple, (long Packets, long IpBytes)> flows, FlowTuple flow, uint ipBytes)
    {
        (long packets, long bytes) = flows.GetValueOrDefault(flow);
        flows[flow] = (packets + 1, bytes + ipBytes);
    }
}
