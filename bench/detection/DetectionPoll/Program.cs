using System.Diagnostics;
using System.Globalization;
using OneWaySensor.Detection;
using OneWaySensor.Flows;

namespace OneWaySensor.Bench;

/// <summary>
/// The detection engine's poll over a table shaped as bench/scale's: FLOWS
/// flows across 1 000 cgroups, each to its own destination, one in a hundred
/// one-way (alerted once, then refused as a repeat on every poll), the rest
/// answered. After WARM polls it times ROUNDS rounds of 10 polls and prints
/// one line: the median, minimum and maximum of the rounds' milliseconds a
/// poll, and the bytes allocated a poll over all rounds.
/// </summary>
public static class Program
{
    private const long Second = 1_000_000_000;

    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length != 3 || !int.TryParse(args[0], out int flows) || !int.TryParse(args[1], out int warm) || !int.TryParse(args[2], out int rounds)
            || flows < 1 || warm < 0 || rounds < 1)
        {
            Console.Error.WriteLine("usage: DetectionPoll FLOWS WARM ROUNDS (positive integers; WARM may be 0)");
            return 2;
        }

        long now = 1_800_000_000 * Second;
        var table = new FlowTable(flows);
        table.BeginPoll();
        for (int i = 0; i < flows; i++)
        {
            var key = new FlowKey((ulong)(i % 1000) + 1, 4, FlowProtocol.Udp, 0x0100007f, (ushort)(10000 + (i % 50000)), 0x0200007f + ((UInt128)i << 8), 5311);
            FlowCounters rx = i % 100 == 0 ? default : new FlowCounters(8, 800, 400);
            table.Observe(new FlowSample(key, new FlowCounters(10, 1000, 600), rx, 0, 0, FlowInitiator.Local, now - (120 * Second), now));
        }

        // as bench/scale runs the sensor: a flow sending every round is one long contact, not a beacon
        var options = new DetectionOptions();
        options.Beacon.SilenceSeconds = 30;
        var hosts = new BenchHosts();
        var engine = new DetectionEngine(60, options, hosts, hosts);
        for (int i = 0; i <= warm; i++)
        {
            now += Second;
            engine.Evaluate(table, now);
        }

        var perPoll = new double[rounds];
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < rounds; r++)
        {
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < 10; i++)
            {
                now += Second;
                engine.Evaluate(table, now);
            }

            perPoll[r] = Stopwatch.GetElapsedTime(started).TotalMilliseconds / 10;
        }

        allocated = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (rounds * 10);
        Array.Sort(perPoll);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{perPoll[rounds / 2]:F2} {perPoll[0]:F2} {perPoll[^1]:F2} {allocated}"));
        return 0;
    }
}
