using System.Net;
using OneWaySensor.Alerts;
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
