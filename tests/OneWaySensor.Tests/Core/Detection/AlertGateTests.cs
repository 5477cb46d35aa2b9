using OneWaySensor.Alerts;
using OneWaySensor.Detection;
using OneWaySensor.Flows;
using OneWaySensor.Processes;

namespace OneWaySensor.Tests.Core.Detection;

/// <summary>The gate's shortcut for repeats refuses exactly where Admit refuses, with the same counting.</summary>
public sealed class AlertGateTests
{
    private const long Second = 1_000_000_000;
    private const long Window = 60 * Second;
    private static readonly DestinationKey Destination = new(7, FlowProtocol.Udp, 4, 0x0200000a, 53);
    private static readonly AlertSubjectParts Subject = new(new Workload(7, "/app", null, null), new ProcessRef { Tgid = 42, Pid = 42, Comm = CommName.From("curl") }, Destination);

    [Fact]
    public void A_destination_never_alerted_is_left_to_admit()
    {
        var gate = new AlertGate(new DetectionOptions(), Window);
        Assert.False(gate.RefusesRepeat("one_way_flow", Subject, 100 * Second, 90 * Second));
        Assert.Empty(gate.Counters.Repeats);
    }

    [Fact]
    public void Repeats_within_the_window_are_refused_and_counted_as_admit_counts_them()
    {
        var shortcut = new AlertGate(new DetectionOptions(), Window);
        var admit = new AlertGate(new DetectionOptions(), Window);
        foreach (AlertGate gate in new[] { shortcut, admit })
        {
            Assert.NotNull(gate.Admit("one_way_flow", Subject, AlertPriority.High, 100 * Second, 90 * Second));
        }

        // new traffic within the window: a repeat; the same traffic again: nothing new
        Assert.True(shortcut.RefusesRepeat("one_way_flow", Subject, 110 * Second, 105 * Second));
        Assert.Null(admit.Admit("one_way_flow", Subject, AlertPriority.High, 110 * Second, 105 * Second));
        Assert.True(shortcut.RefusesRepeat("one_way_flow", Subject, 120 * Second, 105 * Second));
        Assert.Null(admit.Admit("one_way_flow", Subject, AlertPriority.High, 120 * Second, 105 * Second));
        Assert.Equal(admit.Counters.Repeats, shortcut.Counters.Repeats);
        Assert.Equal(1ul, shortcut.Counters.Repeats["one_way_flow"]);

        // after the window with new traffic: not refused, and Admit raises it with the repeat carried
        Assert.False(shortcut.RefusesRepeat("one_way_flow", Subject, 170 * Second, 165 * Second));
        var again = shortcut.Admit("one_way_flow", Subject, AlertPriority.High, 170 * Second, 165 * Second);
        Assert.NotNull(again);
        Assert.Equal(1, again.Value.Raised);
        Assert.Equal(1, again.Value.Repeats);
    }

    [Fact]
    public void The_sweep_forgets_a_gate_no_candidate_came_to_for_four_windows_and_keeps_one_still_asked()
    {
        var asked = new AlertGate(new DetectionOptions(), Window);
        var silent = new AlertGate(new DetectionOptions(), Window);
        foreach (AlertGate gate in new[] { asked, silent })
        {
            Assert.NotNull(gate.Admit("one_way_flow", Subject, AlertPriority.High, 100 * Second, 90 * Second));
        }

        // the same condition, no new traffic, three windows on: refused, and remembered as asked
        Assert.True(asked.RefusesRepeat("one_way_flow", Subject, 280 * Second, 90 * Second));
        asked.Sweep(341 * Second);
        silent.Sweep(341 * Second);

        Assert.Null(asked.Admit("one_way_flow", Subject, AlertPriority.High, 342 * Second, 90 * Second));
        var fresh = silent.Admit("one_way_flow", Subject, AlertPriority.High, 342 * Second, 90 * Second);
        Assert.NotNull(fresh);
        Assert.Equal(0, fresh.Value.Raised);
    }
}
