using System.Net;
using OneWaySensor.Alerts;
using OneWaySensor.Containers;
using OneWaySensor.Detection;
using OneWaySensor.Flows;
using static OneWaySensor.Tests.Core.Detection.DetectionHarness;

namespace OneWaySensor.Tests.Core.Detection;

/// <summary>
/// What the scale benchmark (bench/scale) found at 100 000 flows, each to its
/// own destination: the engine must cost little per destination on every
/// poll, and an alert must look at its own cgroup only.
/// </summary>
public sealed class DetectionScaleTests
{
    private const int Cgroups = 20;
    private const int PerCgroup = 100;

    private static FlowKey Destination(int cgroup, int flow) => new(
        (ulong)cgroup + 1, 4, FlowProtocol.Udp, FlowAddress.FromIPAddress(IPAddress.Parse("127.10.0.1")), (ushort)(30000 + flow),
        FlowAddress.FromIPAddress(new IPAddress([127, 20, (byte)cgroup, (byte)flow])), 5311);

    /// <summary>Every destination answered (no candidate), as the benchmark's two-way flows.</summary>
    private static void SteadyPoll(DetectionHarness harness, long at) => harness.Poll(at, () =>
    {
        for (int c = 0; c < Cgroups; c++)
        {
            for (int f = 0; f < PerCgroup; f++)
            {
                harness.Flow(Destination(c, f), 640, 640, Start, lastSeen: at);
            }
        }
    });

    [Fact]
    public void A_poll_of_steady_destinations_allocates_next_to_nothing_per_destination()
    {
        var harness = new DetectionHarness();
        for (int c = 0; c < Cgroups; c++)
        {
            harness.Host((ulong)c + 1);
        }

        // the first polls make each destination's state; later ones reuse it
        for (int i = 1; i <= 3; i++)
        {
            SteadyPoll(harness, Start + (i * 120 * Second));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        harness.Engine.Evaluate(harness.Table, Start + (361 * Second));
        long perDestination = (GC.GetAllocatedBytesForCurrentThread() - before) / (Cgroups * PerCgroup);

        // before: a list of the destination's flows (about 1.2 KB) and an IPAddress per destination, every poll
        Assert.True(perDestination < 16, $"a poll allocated {perDestination} bytes per destination");
        Assert.Empty(harness.Alerts);
    }

    /// <summary>
    /// The source's reading at <paramref name="at"/>, which only finds again
    /// what earlier polls alerted on: the failure rules refuse their repeats
    /// (still counted, also towards an outage across cgroups), a container's
    /// published port is answered, and young destinations of containers are
    /// judged for exec_then_egress. Three flows are seen again, so they are
    /// changes the engine takes from the table's log.
    /// </summary>
    private static void SilentReading(DetectionHarness harness, long at)
    {
        for (ulong cgroup = 1; cgroup <= 3; cgroup++)
        {
            // one-way to one endpoint from three images: alerted once, then repeats towards a suspected outage
            harness.Flow(Key(cgroup, 40001, "192.0.2.53", 53, FlowProtocol.Udp), 60, 0, Start, txFlags: 0, rxFlags: 0, lastSeen: at);
            for (ushort attempt = 0; attempt < 3; attempt++)
            {
                harness.Flow(Key(cgroup, (ushort)(41000 + attempt), "198.51.100.80", 8443), 0, 0, Start + (59 * Second), txFlags: 0x02, rxFlags: 0x14);
            }
        }

        harness.Flow(Key(4, 8080, "198.51.100.7", 51000), 90, 300, Start, initiator: FlowInitiator.Remote, lastSeen: at);
        harness.Flow(Key(4, 40002, "198.51.100.9", 443), 300, 900, Start + (55 * Second), lastSeen: at);
    }

    [Fact]
    public void A_poll_in_which_nothing_new_happens_allocates_nothing()
    {
        var harness = new DetectionHarness();
        harness.Container(1, name: "web", image: "shop/web:2");
        harness.Container(2, name: "cart", image: "shop/cart:5");
        harness.Container(3, name: "auth", image: "shop/auth:1");
        harness.Container(4, name: "api", image: "shop/api:3", ports: [new PublishedPort("tcp", 8080, null, 80)]);
        long at = Start + (61 * Second);
        harness.Poll(at, () => SilentReading(harness, at));
        int alerts = harness.Alerts.Count;
        Assert.Contains(harness.Alerts, alert => alert.Rule == RuleIds.OneWayFlow && alert.Evidence.ContainsKey("suspected_outage"));
        Assert.Contains(harness.Alerts, alert => alert.Rule == RuleIds.UnansweredConnect);

        // the polls after it grow the engine's reused lists once
        var idle = new List<FlowKey>();
        long allocated = 0;
        for (int i = 1; i <= 6; i++)
        {
            at += Second;
            harness.Table.BeginPoll();
            SilentReading(harness, at);
            harness.Table.EndPoll(at, 3600 * Second, idle);
            long before = GC.GetAllocatedBytesForCurrentThread();
            harness.Engine.Evaluate(harness.Table, at);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0, allocated);
        Assert.Equal(alerts, harness.Alerts.Count);
        Assert.True(harness.Engine.Suppressions.Repeats[RuleIds.OneWayFlow] >= 3);
    }

    [Fact]
    public void A_flow_back_after_its_destination_was_forgotten_is_judged_again()
    {
        var harness = new DetectionHarness();
        FlowKey flow = Key(7, 40001, "198.51.100.4", 443);
        harness.Poll(Start + Second, () => harness.Flow(flow, 40, 90, Start));
        harness.Table.Expire(flow);

        // silent for longer than destinations are remembered: forgotten, though the flow's memo still names it
        long back = Start + (7 * 3600 * Second);
        harness.Poll(back);
        harness.Poll(back + (61 * Second), () => harness.Flow(flow, 300, 0, back));

        Alert alert = Assert.Single(harness.Alerts);
        Assert.Equal(RuleIds.OneWayFlow, alert.Rule);
        Assert.Single(harness.Engine.Investigate(7).Destinations);
    }

    [Fact]
    public void An_alerts_other_destinations_are_its_own_cgroups_of_this_poll()
    {
        var harness = new DetectionHarness();
        long at = Start + (61 * Second);
        harness.Poll(Start + (30 * Second), () => harness.Flow(Destination(0, 9), 40, 40, Start));
        harness.Table.Expire(Destination(0, 9)); // remembered by the engine, but no longer a flow of this cgroup
        harness.Poll(at, () =>
        {
            harness.Flow(Destination(0, 1), 300, 0, Start); // the one-way flow
            harness.Flow(Destination(0, 2), 40, 90, Start, lastSeen: at);
            harness.Flow(Destination(1, 3), 40, 90, Start, lastSeen: at); // another cgroup
        });

        Alert alert = Assert.Single(harness.Alerts);
        Assert.Equal(RuleIds.OneWayFlow, alert.Rule);
        DestinationSummary other = Assert.Single(alert.Context!.OtherDestinations);
        Assert.Equal("127.20.0.2", other.Address);
    }
}
