using System.Globalization;
using OneWaySensor.Connections;
using OneWaySensor.Flows;
using OneWaySensor.Pcap;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Pcap;

/// <summary>
/// Zeek's own regression traces, replayed through the pcap source, each
/// connection compared with the conn.log Zeek's tests expect: protocol and
/// endpoints (as a multiset), conn_state, history, packets, payload and IP
/// bytes each way. Where the sensor deliberately differs, <see cref="KnownDifferences"/>
/// names the flow and the reason; anything else is a failure.
/// </summary>
public sealed class ZeekConformanceTests
{
    /// <summary>"trace|proto orig:port > resp:port|field" (or "trace|*" for a whole trace) → why the sensor differs.</summary>
    private static readonly Dictionary<string, string> KnownDifferences = new(StringComparer.Ordinal)
    {
        ["ntp/misordered-ntp.pcap|*"] =
            "Zeek's NTP analyzer takes the roles from the NTP mode and flips the connection when the server's answer came first; "
            + "the sensor has no application analyzers and keeps the first sender (both ports are 123) as the originator",
        ["tunnels/vxlan.pcap|icmp 10.0.0.1:8 > 10.0.0.2:0|history"] =
            "Zeek's baseline shows the letter X for this ICMP connection inside VXLAN; the sensor keeps no history for ICMP",
        ["chksums/localhost-bad-chksum.pcap|*"] =
            "with checksums verified, Zeek logs the client's bad-checksum segments as a connection of their own and keeps the server's "
            + "SYN-ACK as an unflipped originator; the sensor drops bad segments (history c) within one connection, flipped on the SYN-ACK",
        ["tcp/retransmit-fast009.pcap|tcp 10.0.88.85:50368 > 192.168.0.27:80|history"] =
            "G and g are content gaps found by Zeek's stream reassembly; the sensor counts the sequence space but does not reassemble streams",
        ["tunnels/Teredo.pcap|icmp 2001:0:4137:9e50:8000:f12a:b9c8:2815:128 > 2001:4860:0:2001::68:129|*"] =
            "the reply came through a Teredo relay on UDP port 32900: Zeek confirms Teredo by content on any port, the sensor decodes it on port 3544 only",
        ["tunnels/Teredo.pcap|tcp 2001:0:4137:9e50:8000:f12a:b9c8:2815:1286 > 2001:4860:0:2001::68:80|*"] =
            "the connection went through a Teredo relay on UDP port 32900: Zeek confirms Teredo by content on any port, the sensor decodes it on port 3544 only",
    };

    public static TheoryData<string> Traces()
    {
        var traces = new TheoryData<string>();
        foreach (string line in File.ReadAllLines(Path.Combine(RepoPaths.ZeekData, "MANIFEST.tsv")).Skip(1))
        {
            traces.Add(line.Split('\t')[0]["zeek/traces/".Length..]);
        }

        return traces;
    }

    [Theory]
    [MemberData(nameof(Traces))]
    public void Every_connection_agrees_with_zeek_or_is_a_named_difference(string trace)
    {
        List<ConnectionRecord> actual = Replay(trace, verifyChecksums: trace.StartsWith("chksums/", StringComparison.Ordinal));
        List<Dictionary<string, string>> expected = Expected(trace);
        var problems = new List<string>();
        if (!expected[0].ContainsKey("id.orig_h"))
        {
            // a printout of history and conn_state for the trace's one connection
            ConnectionRecord only = Assert.Single(actual);
            Compare(trace, Describe(only), expected[0], only, problems);
        }
        else
        {
            var unmatched = new List<ConnectionRecord>(actual);
            foreach (Dictionary<string, string> row in expected)
            {
                string key = KeyOf(row);
                ConnectionRecord? match = unmatched.FirstOrDefault(record => Describe(record) == key && Agrees(row, record))
                    ?? unmatched.FirstOrDefault(record => Describe(record) == key);
                if (match is null)
                {
                    problems.Add($"{trace}|{key}|missing");
                    continue;
                }

                unmatched.Remove(match);
                Compare(trace, key, row, match, problems);
            }

            problems.AddRange(unmatched.Select(record => $"{trace}|{Describe(record)}|extra"));
        }

        List<string> unexplained = [.. problems.Where(problem => !Explained(trace, problem))];
        Assert.True(unexplained.Count == 0, $"{unexplained.Count} differences from Zeek:\n{string.Join('\n', unexplained)}");
    }

    private static bool Explained(string trace, string problem) =>
        KnownDifferences.ContainsKey($"{trace}|*")
        || KnownDifferences.ContainsKey(problem[..problem.LastIndexOf('|')] + "|*")
        || KnownDifferences.ContainsKey(problem.Contains(" expected ", StringComparison.Ordinal) ? problem[..problem.IndexOf(" expected ", StringComparison.Ordinal)] : problem);

    private static bool Agrees(Dictionary<string, string> row, ConnectionRecord record)
    {
        var problems = new List<string>();
        Compare(string.Empty, string.Empty, row, record, problems);
        return problems.Count == 0;
    }

    private static void Compare(string trace, string key, Dictionary<string, string> row, ConnectionRecord record, List<string> problems)
    {
        void Check(string field, string actual)
        {
            if (row.TryGetValue(field, out string? wanted) && wanted != "-" && wanted != actual)
            {
                problems.Add($"{trace}|{key}|{field} expected {wanted} got {actual}");
            }
        }

        Check("conn_state", record.ConnState);
        Check("history", record.History);
        Check("orig_pkts", Text(record.OrigPackets));
        Check("resp_pkts", Text(record.RespPackets));
        Check("orig_bytes", record.OrigBytes is ulong orig ? Text(orig) : "-");
        Check("resp_bytes", record.RespBytes is ulong resp ? Text(resp) : "-");
        Check("orig_ip_bytes", Text(record.OrigIpBytes));
        Check("resp_ip_bytes", Text(record.RespIpBytes));
    }

    private static List<ConnectionRecord> Replay(string trace, bool verifyChecksums)
    {
        var records = new List<ConnectionRecord>();
        var source = new CaptureFlowSource(new FlowTable(), 1_000_000_000, 120_000_000_000, _ => { }, records.Add, verifyChecksums);
        using (CaptureReader reader = CaptureReader.OpenFile(Path.Combine(RepoPaths.ZeekData, "traces", trace)))
        {
            source.Run(reader, CancellationToken.None);
        }

        source.Finish();
        return records;
    }

    /// <summary>The trace's expected table: rows of column → value, from the first non-comment line's header.</summary>
    private static List<Dictionary<string, string>> Expected(string trace)
    {
        string[] lines = [.. File.ReadAllLines(Path.Combine(RepoPaths.ZeekData, "expected", trace.Replace("/", "__", StringComparison.Ordinal) + ".tsv")).Where(line => !line.StartsWith('#') && line.Length > 0)];
        string[] header = lines[0].Split('\t');
        return [.. lines.Skip(1).Select(line => header.Zip(line.Split('\t')).ToDictionary(pair => pair.First, pair => pair.Second))];
    }

    private static string KeyOf(Dictionary<string, string> row) =>
        $"{row.GetValueOrDefault("proto", "tcp")} {row["id.orig_h"]}:{row["id.orig_p"]} > {row["id.resp_h"]}:{row["id.resp_p"]}";

    private static string Describe(ConnectionRecord record) =>
        $"{record.ProtocolName} {Address(record.Key.OrigAddress, record.Key.IpVersion)}:{record.Key.OrigPort} > {Address(record.Key.RespAddress, record.Key.IpVersion)}:{record.Key.RespPort}";

    private static string Address(UInt128 raw, byte version) => FlowAddress.ToIPAddress(raw, version).ToString();

    private static string Text(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
