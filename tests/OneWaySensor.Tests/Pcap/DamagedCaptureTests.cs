using System.Buffers.Binary;
using System.Text;
using OneWaySensor.Cli.Replay;
using OneWaySensor.Detection;
using OneWaySensor.Tests.Packets;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Pcap;

/// <summary>
/// Zeek's traces, damaged in memory and replayed in process through the code
/// `onewaysensor replay` runs: cut at every record, lengths and header fields
/// that point past the end, unknown link types, random mutations. Each ends
/// within a bound, as a counted skip or as one line naming the file, and
/// whatever came before the damage is written and counted exactly as if the
/// file had ended there.
/// </summary>
public sealed class DamagedCaptureTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly string[] Traces =
    [
        "traces/wikipedia.pcap", "traces/tunnels/vxlan.pcap", "traces/radiotap.pcap", "traces/q-in-q.pcap",
        "traces/pcapng-multi-interface.pcapng", "traces/tcp/http-on-irc-port-missing-syn.pcapng",
    ];

    private readonly string folder = Directory.CreateTempSubdirectory("ows-damaged-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static TheoryData<string> Captures() => [.. Traces];

    [Theory]
    [MemberData(nameof(Captures))]
    public void A_cut_inside_a_record_is_one_line_after_exactly_what_a_cut_before_it_gives(string trace)
    {
        byte[] bytes = File.ReadAllBytes(ZeekTraces.PathOf(trace));
        IReadOnlyList<Block> packets = CaptureLayout.Packets(bytes);
        for (int k = 0; k < packets.Count; k++)
        {
            Block packet = packets[k];
            Replayed clean = Replay(bytes[..packet.Start]);
            Assert.True(clean.ExitCode == 0, clean.Log);
            Assert.Equal($"{k} packets", clean.PacketsRead);

            foreach (int into in new[] { 1, 7, packet.HeaderLength + 1, packet.Length - 1 }.Where(into => into > 0 && into < packet.Length).Distinct())
            {
                Replayed cut = Replay(bytes[..(packet.Start + into)]);
                cut.AssertDamageNamed();
                Assert.Equal(clean.Counts, cut.Counts); // the packets before the damage, counted and skipped as before
                Assert.Equal(clean.Flows, cut.Flows);   // and their connections written
                Assert.Equal(clean.Alerts, cut.Alerts);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void A_cut_inside_the_file_header_is_one_line(string trace)
    {
        byte[] bytes = File.ReadAllBytes(ZeekTraces.PathOf(trace));
        int firstPacket = CaptureLayout.Packets(bytes)[0].Start;
        for (int cut = 0; cut < firstPacket; cut++)
        {
            Replayed replayed = Replay(bytes[..cut]);
            if (replayed.ExitCode == 0)
            {
                Assert.Equal("0 packets", replayed.PacketsRead); // a pcapng cut between its header blocks ends cleanly
            }
            else
            {
                replayed.AssertDamageNamed();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Lengths_that_point_past_the_end_or_nowhere_are_one_line_after_the_packets_before(string trace)
    {
        byte[] bytes = File.ReadAllBytes(ZeekTraces.PathOf(trace));
        IReadOnlyList<Block> packets = CaptureLayout.Packets(bytes);
        Block damaged = packets[packets.Count / 2];
        Replayed before = Replay(bytes[..damaged.Start]);
        uint[] lengths = [0, 1, 3, 11, (uint)damaged.Length + 1, (uint)(bytes.Length - damaged.Start) + 4, 262_145, 0x7fff_ffff, uint.MaxValue];
        foreach (uint length in lengths)
        {
            foreach (int field in CaptureLayout.LengthFields(bytes, damaged).Concat(CaptureLayout.HeaderLengthFields(bytes)))
            {
                bool inHeader = field < packets[0].Start;
                byte[] copy = [.. bytes];
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(field), length);
                Replayed replayed = Replay(copy);
                if (replayed.ExitCode != 0)
                {
                    replayed.AssertDamageNamed();
                }

                // a length libpcap can still frame reads on; one it cannot ends the file where the damage is
                Assert.True(inHeader || replayed.PacketCount >= before.PacketCount, $"length {length} at byte {field}: {replayed.Log}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void An_unknown_link_type_counts_every_packet_as_a_skip(string trace)
    {
        byte[] bytes = File.ReadAllBytes(ZeekTraces.PathOf(trace));
        int packets = CaptureLayout.Packets(bytes).Count;
        foreach (int linkType in CaptureLayout.LinkTypeFields(bytes))
        {
            foreach (ushort unknown in new ushort[] { 147, 4242, ushort.MaxValue })
            {
                byte[] copy = [.. bytes];
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(linkType), unknown);
                Replayed replayed = Replay(copy);
                if (replayed.ExitCode != 0)
                {
                    replayed.AssertDamageNamed(); // libpcap refuses some values outright
                    continue;
                }

                if (CaptureLayout.IsPcapng(bytes) && CaptureLayout.LinkTypeFields(bytes).Count > 1)
                {
                    Assert.Contains("unknown link type ", replayed.Counts, StringComparison.Ordinal); // only one interface's packets
                }
                else
                {
                    Assert.Contains($"{packets} packets, 0 IP; skipped: not IP 0, truncated 0, malformed 0, unknown link type {packets},", replayed.Counts, StringComparison.Ordinal);
                }
            }
        }
    }

    [Theory]
    [InlineData("traces/pcapng-multi-interface.pcapng")]
    [InlineData("traces/tcp/http-on-irc-port-missing-syn.pcapng")]
    public void A_packet_of_an_interface_the_file_never_described_is_one_line_after_the_packets_before(string trace)
    {
        byte[] bytes = File.ReadAllBytes(ZeekTraces.PathOf(trace));
        IReadOnlyList<Block> packets = CaptureLayout.Packets(bytes);
        Block damaged = packets[packets.Count / 2];
        Replayed before = Replay(bytes[..damaged.Start]);
        foreach (uint interfaceId in new uint[] { 7, 0x7fff_ffff, uint.MaxValue })
        {
            byte[] copy = [.. bytes];
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(damaged.Start + 8), interfaceId); // an enhanced packet block's interface id
            Replayed replayed = Replay(copy);
            replayed.AssertDamageNamed();
            Assert.Equal(before.Counts, replayed.Counts);
            Assert.Equal(before.Flows, replayed.Flows);
        }
    }

    [Fact]
    public void Randomly_mutated_traces_end_in_time_as_a_report_or_one_line()
    {
        byte[][] originals = [.. Traces.Select(trace => File.ReadAllBytes(ZeekTraces.PathOf(trace)))];
        Fuzz.Cases(150, random =>
        {
            byte[] mutated = Fuzz.Mutate(random, originals[random.Next(originals.Length)]);
            Replayed replayed = Replay(mutated);
            if (replayed.ExitCode != 0)
            {
                replayed.AssertDamageNamed();
            }
            else
            {
                Assert.StartsWith("onewaysensor: replayed ", replayed.Counts, StringComparison.Ordinal);
            }
        });
    }

    /// <summary>Replays the bytes as a file, in process, bounded in time.</summary>
    private Replayed Replay(byte[] capture)
    {
        string path = Path.Combine(folder, "damaged.pcap");
        File.WriteAllBytes(path, capture);
        using var alerts = new MemoryStream();
        using var flows = new MemoryStream();
        using var log = new StringWriter();
        using var stop = new CancellationTokenSource(Bound);
        var settings = new ReplaySettings(WindowSeconds: 2, new DetectionOptions());
        Task<int> replay = Task.Run(() => CaptureReplay.Run(path, alerts, flows, log, settings, stop.Token));
        Assert.True(replay.Wait(Bound), $"the replay of a damaged capture did not end within {Bound}");
        Assert.False(stop.IsCancellationRequested, "the replay ran until it was stopped");
        return new Replayed(path, replay.Result, log.ToString(), Encoding.UTF8.GetString(flows.ToArray()), Encoding.UTF8.GetString(alerts.ToArray()));
    }

    private sealed record Replayed(string Path, int ExitCode, string Log, string Flows, string Alerts)
    {
        private string[] Lines => Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        /// <summary>The report line of what was read and skipped; empty when the file could not be opened.</summary>
        public string Counts => Lines.FirstOrDefault(line => line.StartsWith("onewaysensor: replayed ", StringComparison.Ordinal)) ?? string.Empty;

        public string PacketsRead => Counts.Split(": ")[2].Split(',')[0];

        public int PacketCount => Counts.Length == 0 ? 0 : int.Parse(PacketsRead.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>Exit 1, and the last line of the log names the file, in one line: nothing else was said but the report.</summary>
        public void AssertDamageNamed()
        {
            Assert.True(ExitCode == 1, Log);
            Assert.StartsWith($"onewaysensor: capture file {Path}: ", Lines[^1], StringComparison.Ordinal);
            Assert.True(Lines.Length == 1 || (Lines.Length == 2 && Counts == Lines[0]), Log);
        }
    }
}
