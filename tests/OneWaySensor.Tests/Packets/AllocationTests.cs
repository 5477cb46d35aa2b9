using OneWaySensor.Packets;
using OneWaySensor.Pcap;

namespace OneWaySensor.Tests.Packets;

/// <summary>Parsing allocates nothing: every packet of every Zeek trace, with and without checksum verification.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Parsing_every_packet_of_every_trace_allocates_nothing()
    {
        // the frames are copied out first: only the parser runs inside the measurement
        var frames = new List<(LinkType Link, byte[] Bytes)>();
        foreach (string trace in ZeekTraces.All())
        {
            using CaptureReader reader = CaptureReader.OpenFile(ZeekTraces.PathOf(trace));
            while (reader.TryRead(out CapturedPacket packet, out bool ended) || !ended)
            {
                frames.Add((reader.LinkType, packet.Data.ToArray()));
            }
        }

        int layersFound = ParseAll(frames); // warm-up: JIT and tiering allocate, the parser should not
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 3; round++)
        {
            ParseAll(frames);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(layersFound > 4000, $"{layersFound} layers in {frames.Count} frames");
        Assert.Equal(0, allocated);
    }

    /// <summary>The number of layers found, so the loop's work is not optimized away.</summary>
    private static int ParseAll(List<(LinkType Link, byte[] Bytes)> frames)
    {
        int found = 0;
        var layers = default(PacketLayers);
        for (int i = 0; i < frames.Count; i++)
        {
            bool verify = (i & 1) == 0;
            if (PacketParser.Parse(frames[i].Bytes, frames[i].Link, ref layers, verify) == PacketParseResult.Ip)
            {
                found += layers.Count;
            }
        }

        return found;
    }
}
