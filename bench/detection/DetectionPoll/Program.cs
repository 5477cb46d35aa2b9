using System.Diagnostics;
using System.Globalization;
using OneWaySensor.Detection;
using OneWaySensor.Flows;

namespace OneWaySensor.Bench;

/// <summary>
/// The sensor's poll at scale, over a table fed as bench/scale feeds the
/// sensor's: FLOWS flows across 1 000 cgroups, each to its own destination,
/// a tenth of them with new traffic at each poll, one in a hundred one-way
/// (alerted once a window, its repeats refused in between), the rest
/// answered. After WARM polls it times one part of the poll over ROUNDS
/// rounds of 10 polls and prints one line: the median, minimum and maximum
/// of the rounds' milliseconds a poll, and the bytes that part allocated a
/// poll over all rounds. The part is MODE:
/// <list type="bullet">
/// <item><c>engine</c> (the default): the detection engine's pass, not the table's reading.</item>
/// <item><c>read</c>: the table's reading of every flow, in an order unrelated
/// to the table's, as the kernel's map hands them over (its hash order).</item>
/// </list>
/// </summary>
public static class Program
{
    private const long Second = 1_000_000_000;

    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string mode = args.Length == 4 ? args[3] : "engine";
        if (args.Length is not (3 or 4) || !int.TryParse(args[0], out int flows) || !int.TryParse(args[1], out int warm) || !int.TryParse(args[2], out int rounds)
            || flows < 1 || warm < 0 || rounds < 1 || mode is not ("engine" or "read"))
        {
            Console.Error.WriteLine("usage: DetectionPoll FLOWS WARM ROUNDS [engine|read] (positive integers; WARM may be 0)");
            return 2;
        }

        bool timeRead = mode == "read";

        long now = 1_800_000_000 * Second;
        var samples = new FlowSample[flows];
        for (int i = 0; i < flows; i++)
        {
            var key = new FlowKey((ulong)(i % 1000) + 1, 4, FlowProtocol.Udp, 0x0100007f, (ushort)(10000 + (i % 50000)), 0x0200007f + ((UInt128)i << 8), 5311);
            samples[i] = new FlowSample(key, default, default, 0, 0, FlowInitiator.Local, now - (120 * Second), now);
        }

        if (timeRead)
        {
            new Random(1).Shuffle(samples);
        }

        var table = new FlowTable(flows);
        int poll = 0;

        // as bench/scale runs the sensor: a flow sending every round is one long contact, not a beacon
        var options = new DetectionOptions();
        options.Beacon.SilenceSeconds = 30;
        var hosts = new BenchHosts();
        var engine = new DetectionEngine(60, options, hosts, hosts);
        for (int i = 0; i <= warm; i++)
        {
            now += Second;
            ReadSource(table, samples, poll++, now);
            engine.Evaluate(table, now);
        }

        var perPoll = new double[rounds];
        long allocated = 0;
        for (int r = 0; r < rounds; r++)
        {
            TimeSpan timed = TimeSpan.Zero;
            for (int i = 0; i < 10; i++)
            {
                now += Second;
                // both parts run, as in the sensor (the engine takes the table's change log); one is counted
                long before = GC.GetAllocatedBytesForCurrentThread();
                long started = Stopwatch.GetTimestamp();
                ReadSource(table, samples, poll++, now);
                if (timeRead)
                {
                    timed += Stopwatch.GetElapsedTime(started);
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                }

                before = GC.GetAllocatedBytesForCurrentThread();
                started = Stopwatch.GetTimestamp();
                engine.Evaluate(table, now);
                if (!timeRead)
                {
                    timed += Stopwatch.GetElapsedTime(started);
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                }
            }

            perPoll[r] = timed.TotalMilliseconds / 10;
        }

        allocated /= rounds * 10;
        Array.Sort(perPoll);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{perPoll[rounds / 2]:F2} {perPoll[0]:F2} {perPoll[^1]:F2} {allocated}"));
        return 0;
    }

    /// <summary>
    /// One poll of the source: every flow read, and as in bench/scale
    /// (a round every 10 s, polls every second) a tenth of them with a new
    /// datagram each way since the last poll; one in a hundred never answered.
    /// </summary>
    private static void ReadSource(FlowTable table, FlowSample[] samples, int poll, long now)
    {
        table.BeginPoll();
        for (int i = 0; i < samples.Length; i++)
        {
            ref FlowSample sample = ref samples[i];
            if (i % 10 == poll % 10)
            {
                FlowCounters datagram = new(1, 92, 64);
                sample = sample with
                {
                    Tx = sample.Tx + datagram,
                    Rx = i % 100 == 0 ? default : sample.Rx + datagram,
                    LastSeenUnixNs = now,
                };
            }

            table.Observe(sample);
        }

        table.EndPoll(now, 120 * Second, []);
    }
}
