using System.Globalization;
using System.Net;
using OneWaySensor.Flows;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Packets;

/// <summary>One flow as Zeek's conn.log has it: protocol name and 5-tuple, originator first; packets and IP bytes both ways.</summary>
internal readonly record struct ZeekFlow(string Protocol, UInt128 Originator, ushort OriginatorPort, UInt128 Responder, ushort ResponderPort, long Packets, long IpBytes, string Text)
{
    public override string ToString() => Text;
}

/// <summary>The Zeek regression traces under the shared data folder and the flows Zeek logged for each (expected/*.tsv).</summary>
internal static class ZeekTraces
{
    private static readonly string[] CountColumns = ["orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"];

    /// <summary>Each trace's path under the Zeek data folder, as MANIFEST.tsv lists them ("traces/...").</summary>
    public static IEnumerable<string> All() => File.ReadAllLines(Path.Combine(RepoPaths.ZeekData, "MANIFEST.tsv"))
        .Skip(1)
        .Select(line => line.Split('\t')[0]["zeek/".Length..]);

    public static string PathOf(string trace) => Path.Combine(RepoPaths.ZeekData, trace);

    /// <summary>
    /// The flows of a trace's expected table. Four tcp/*rst* tables print only
    /// history and state (no 5-tuple), so they give no flows; the one-sided
    /// table has the 5-tuple without a proto column, and its histories are TCP's.
    /// </summary>
    public static IReadOnlyList<ZeekFlow> Flows(string trace)
    {
        string table = Path.Combine(RepoPaths.ZeekData, "expected", trace["traces/".Length..].Replace("/", "__", StringComparison.Ordinal) + ".tsv");
        string[] lines = [.. File.ReadAllLines(table).Where(line => !line.StartsWith('#'))];
        string[] columns = lines[0].Split('\t');
        int proto = Array.IndexOf(columns, "proto");
        int originator = Array.IndexOf(columns, "id.orig_h");
        if (originator < 0)
        {
            return [];
        }

        int[] counts = [.. CountColumns.Select(name => Array.IndexOf(columns, name))];
        return [.. lines.Skip(1).Select(line =>
        {
            string[] fields = line.Split('\t');
            return new ZeekFlow(
                proto < 0 ? "tcp" : fields[proto],
                FlowAddress.FromIPAddress(IPAddress.Parse(fields[originator])),
                Port(fields[originator + 1]),
                FlowAddress.FromIPAddress(IPAddress.Parse(fields[originator + 2])),
                Port(fields[originator + 3]),
                Count(fields[counts[0]]) + Count(fields[counts[1]]),
                Count(fields[counts[2]]) + Count(fields[counts[3]]),
                string.Join(' ', fields.Take(originator + 4).Skip(Math.Max(proto, 0))));
        })];
    }

    private static ushort Port(string field) => ushort.Parse(field, CultureInfo.InvariantCulture);

    private static long Count(string field) => long.Parse(field, CultureInfo.InvariantCulture);
}
