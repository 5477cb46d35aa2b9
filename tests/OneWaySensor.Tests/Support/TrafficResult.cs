using System.Globalization;

namespace OneWaySensor.Tests.Support;

/// <summary>What owsgen says it did: "pid=N local_port=N sent_bytes=N received_bytes=N sent_packets=N received_packets=N".</summary>
internal sealed record TrafficResult(uint Pid, ushort LocalPort, ulong SentBytes, ulong ReceivedBytes, ulong SentPackets, ulong ReceivedPackets)
{
    public static TrafficResult From(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, $"owsgen failed ({result.ExitCode}): {result.Stderr}");
        Dictionary<string, ulong> fields = result.Stdout.Trim().Split(' ')
            .Select(field => field.Split('='))
            .ToDictionary(pair => pair[0], pair => ulong.Parse(pair[1], CultureInfo.InvariantCulture));
        return new TrafficResult(
            (uint)fields["pid"],
            (ushort)fields["local_port"],
            fields["sent_bytes"],
            fields["received_bytes"],
            fields["sent_packets"],
            fields["received_packets"]);
    }
}
