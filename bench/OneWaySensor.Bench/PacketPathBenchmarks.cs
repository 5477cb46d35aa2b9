using BenchmarkDotNet.Attributes;
using OneWaySensor.Connections;
using OneWaySensor.Packets;
using OneWaySensor.Pcap;

namespace OneWaySensor.Bench;

/// <summary>
/// The pcap source's per-packet path on real traffic (the packets of one of
/// Zeek's traces in ../shared, held in memory): parsing alone, and parsing
/// plus connection tracking. Results are per packet; both must allocate 0
/// bytes once the trace's connections exist.
/// </summary>
[MemoryDiagnoser]
public class PacketPathBenchmarks
{
    private (byte[] Frame, long Time)[] packets = [];
    private LinkType linkType;
    private ConnectionTracker tracker = null!;

    /// <summary>A trace of ssh (IPv4 TCP, 1797 packets) and one of tunnels and link layers (Teredo).</summary>
    [Params("ssh/ssh.pcap", "tunnels/Teredo.pcap")]
    public string Trace { get; set; } = "ssh/ssh.pcap";

    [GlobalSetup]
    public void Setup()
    {
        string shared = typeof(PacketPathBenchmarks).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().First(attribute => attribute.Key == "SharedDir").Value!;
        string path = Path.Combine(shared, "data", "zeek", "traces", Trace);
        var read = new List<(byte[], long)>();
        using (CaptureReader reader = CaptureReader.OpenFile(Path.GetFullPath(path)))
        {
            linkType = reader.LinkType;
            while (reader.TryRead(out CapturedPacket packet, out bool ended) || !ended)
            {
                read.Add((packet.Data.ToArray(), packet.TimeUnixNs));
            }
        }

        packets = [.. read];
        tracker = new ConnectionTracker(_ => { });
        ParseAndTrack(); // the trace's connections exist before measuring
    }

    [Benchmark]
    public int Parse()
    {
        var layers = default(PacketLayers);
        int ip = 0;
        foreach ((byte[] frame, _) in packets)
        {
            if (PacketParser.Parse(frame, linkType, ref layers) == PacketParseResult.Ip)
            {
                ip++;
            }
        }

        return ip;
    }

    [Benchmark]
    public int ParseAndTrack()
    {
        var layers = default(PacketLayers);
        foreach ((byte[] frame, long time) in packets)
        {
            if (PacketParser.Parse(frame, linkType, ref layers) == PacketParseResult.Ip)
            {
                tracker.Observe(layers, time);
            }
        }

        return tracker.Count;
    }
}
