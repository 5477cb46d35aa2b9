using OneWaySensor.Detection;
using OneWaySensor.Detection.Baseline;
using OneWaySensor.Flows;
using static OneWaySensor.Tests.Core.Baseline.BaselineFlows;

namespace OneWaySensor.Tests.Core.Baseline;

public class BaselineModelTests
{
    private const string Image = "registry.example/web:1.4";

    private static BaselineOptions Options(BaselineMatch match = BaselineMatch.Destination) => new()
    {
        LearningSeconds = 600,
        MinimumObservations = 5,
        MinimumOneWaySeconds = 10,
        Match = match,
    };

    /// <summary>An image that, while learning, talked two-way to 203.0.113.10:443 and 198.51.100.5:53/udp, and one-way to a syslog host.</summary>
    private static BaselineModel Learned(BaselineOptions? options = null)
    {
        var model = new BaselineModel(options ?? Options());
        for (int i = 0; i < 10; i++)
        {
            long at = Start + (i * 30 * Second);
            model.Learn(Image, Flow((ushort)(40000 + i), "203.0.113.10", 443, 500, 20_000, at), at);
            model.Learn(Image, Flow((ushort)(50000 + i), "198.51.100.5", 53, 40, 120, at, FlowProtocol.Udp), at);
        }

        model.Learn(Image, Flow(51400, "192.0.2.50", 514, 300, 0, Start + (60 * Second), FlowProtocol.Udp), Start + (60 * Second));
        Assert.False(model.IsLearning(Image, Start + (601 * Second)));
        return model;
    }

    private static BaselineFinding? Judge(BaselineModel model, FlowState flow, long now) =>
        model.Evaluate(Image, Destination(flow), [flow], now);

    [Fact]
    public void An_unseen_image_is_learning_and_never_judged()
    {
        var model = new BaselineModel(Options());
        FlowState flow = Flow(40000, "192.0.2.99", 4444, 800, 0, Start);

        Assert.True(model.IsLearning(Image, Start));
        Assert.Null(Judge(model, flow, Start + (3600 * Second)));
    }

    [Fact]
    public void Learning_ends_after_the_time_and_the_observations_both()
    {
        var model = new BaselineModel(Options());
        for (int i = 0; i < 3; i++)
        {
            model.Learn(Image, Flow((ushort)(40000 + i), "203.0.113.10", 443, 500, 900, Start + (i * Second)), Start + (i * Second));
        }

        // the time has passed, but only 3 of 5 flows were seen
        Assert.True(model.IsLearning(Image, Start + (700 * Second)));
        model.Learn(Image, Flow(40010, "203.0.113.10", 443, 500, 900, Start + (800 * Second)), Start + (800 * Second));
        Assert.True(model.IsLearning(Image, Start + (800 * Second)));
        model.Learn(Image, Flow(40011, "203.0.113.10", 443, 500, 900, Start + (900 * Second)), Start + (900 * Second));

        Assert.False(model.IsLearning(Image, Start + (900 * Second)));
        ImageBaseline baseline = model.Images[Image];
        Assert.True(baseline.Frozen);
        Assert.Equal(Start + (900 * Second), baseline.LearnedUntilUnixNs);
        Assert.Equal(Start, baseline.FirstLearnedUnixNs);
    }

    [Fact]
    public void Learning_ends_at_the_learning_time_when_the_observations_came_first()
    {
        BaselineModel model = Learned();
        Assert.Equal(Start + (600 * Second), model.Images[Image].LearnedUntilUnixNs);
    }

    [Fact]
    public void A_flow_passed_on_every_poll_counts_once_and_moves_bucket_when_answered()
    {
        var model = new BaselineModel(Options());
        FlowKey key = Key(40000, "203.0.113.10", 443);
        model.Learn(Image, Flow(key, 300, 0, Start), Start);
        model.Learn(Image, Flow(key, 300, 0, Start), Start + Second);
        Assert.Equal(1ul, model.Images[Image].RatioCount(TxRxRatio.TxOnly));

        model.Learn(Image, Flow(key, 300, 40_000, Start), Start + (2 * Second));
        model.Learn(Image, Flow(key, 300, 40_000, Start), Start + (3 * Second));

        ImageBaseline baseline = model.Images[Image];
        Assert.Equal(1ul, baseline.FlowsObserved);
        Assert.Equal(0ul, baseline.RatioCount(TxRxRatio.TxOnly));
        Assert.Equal(1ul, baseline.RatioCount(TxRxRatio.BelowHundredth));
        Assert.Equal(1ul, baseline.Destinations[BaselineDestination.Of(key)]);
    }

    [Fact]
    public void A_new_incarnation_of_the_same_key_is_a_new_flow()
    {
        var model = new BaselineModel(Options());
        FlowKey key = Key(40000, "203.0.113.10", 443);
        model.Learn(Image, Flow(key, 300, 900, Start), Start);
        model.Learn(Image, Flow(key, 300, 900, Start + (100 * Second)), Start + (100 * Second));

        Assert.Equal(2ul, model.Images[Image].OutboundFlows);
    }

    [Fact]
    public void Flows_opened_to_the_container_are_counted_but_teach_no_destination()
    {
        var model = new BaselineModel(Options());
        model.Learn(Image, Flow(Key(8080, "198.51.100.77", 51234), 900, 300, Start, FlowInitiator.Remote), Start);

        ImageBaseline baseline = model.Images[Image];
        Assert.Equal(1ul, baseline.InboundFlows);
        Assert.Equal(1ul, baseline.FlowsObserved);
        Assert.Equal(0ul, baseline.OutboundFlows);
        Assert.Empty(baseline.Destinations);
        Assert.Empty(baseline.Ports);
    }

    [Fact]
    public void The_baseline_records_destinations_ports_and_the_one_way_share()
    {
        ImageBaseline baseline = Learned().Images[Image];

        Assert.Equal(21ul, baseline.FlowsObserved);
        Assert.Equal(3, baseline.Destinations.Count);
        Assert.Equal(3, baseline.Ports.Count);
        Assert.True(baseline.KnowsPort(new BaselinePort(FlowProtocol.Udp, 53)));
        Assert.Equal(10ul, baseline.RatioCount(TxRxRatio.BelowTenth));
        Assert.Equal(10ul, baseline.RatioCount(TxRxRatio.BelowOne));
        Assert.Equal(1ul, baseline.OneWayFlows);
        Assert.Equal(1 / 21.0, baseline.OneWayShare, 6);
    }

    [Fact]
    public void Nothing_is_judged_while_learning()
    {
        var model = new BaselineModel(Options());
        model.Learn(Image, Flow(40000, "203.0.113.10", 443, 500, 900, Start), Start);
        FlowState exfil = Flow(40001, "192.0.2.99", 4444, 800, 0, Start + Second);

        Assert.Null(Judge(model, exfil, Start + (100 * Second)));
    }

    [Fact]
    public void A_new_one_way_destination_after_learning_is_a_finding()
    {
        BaselineModel model = Learned();
        long now = Start + (700 * Second);
        FlowState exfil = Flow(40100, "192.0.2.99", 4444, 800, 0, now - (30 * Second));

        BaselineFinding? finding = Judge(model, exfil, now);

        Assert.NotNull(finding);
        Assert.Equal(Image, finding.Image);
        Assert.Equal(Destination(exfil), finding.Destination);
        Assert.Single(finding.OneWayFlows);
        Assert.False(finding.PortKnown);
        Assert.Equal(3, finding.KnownDestinations);
        Assert.Equal(21ul, finding.FlowsObserved);
        Assert.Equal(1 / 21.0, finding.OneWayShare, 6);
        Assert.Equal(Start, finding.LearnedSinceUnixNs);
        Assert.Equal(Start + (600 * Second), finding.LearnedUntilUnixNs);
    }

    [Fact]
    public void A_destination_used_while_learning_is_not_a_finding_even_one_way()
    {
        BaselineModel model = Learned();
        long now = Start + (700 * Second);

        // the syslog host was one-way while learning too
        Assert.Null(Judge(model, Flow(51500, "192.0.2.50", 514, 300, 0, now - (30 * Second), FlowProtocol.Udp), now));
        // a known server that does not answer this time (an outage) is one_way_flow's to report, not this rule's
        Assert.Null(Judge(model, Flow(40200, "203.0.113.10", 443, 300, 0, now - (30 * Second)), now));
    }

    [Fact]
    public void A_new_destination_that_answers_is_not_a_finding()
    {
        BaselineModel model = Learned();
        long now = Start + (700 * Second);
        FlowState answered = Flow(40100, "192.0.2.99", 443, 800, 1200, now - (30 * Second));
        FlowState unanswered = Flow(40101, "192.0.2.99", 443, 800, 0, now - (30 * Second));

        Assert.Null(Judge(model, answered, now));
        // one answered flow to the destination makes the destination two-way
        Assert.Null(model.Evaluate(Image, Destination(answered), [unanswered, answered], now));
    }

    [Fact]
    public void A_flow_is_one_way_only_after_the_minimum_time()
    {
        BaselineModel model = Learned();
        long now = Start + (700 * Second);
        FlowState young = Flow(40100, "192.0.2.99", 4444, 800, 0, now - (9 * Second));
        FlowState old = Flow(40100, "192.0.2.99", 4444, 800, 0, now - (10 * Second));

        Assert.Null(Judge(model, young, now));
        Assert.NotNull(Judge(model, old, now));
    }

    [Fact]
    public void Flows_opened_by_the_remote_side_or_with_no_payload_are_not_one_way_sends()
    {
        BaselineModel model = Learned();
        long now = Start + (700 * Second);
        FlowState inbound = Flow(Key(8080, "192.0.2.99", 51234), 800, 0, now - (30 * Second), FlowInitiator.Remote);
        FlowState empty = Flow(40100, "192.0.2.99", 4444, 0, 0, now - (30 * Second));

        Assert.Null(Judge(model, inbound, now));
        Assert.Null(Judge(model, empty, now));
    }

    [Fact]
    public void The_baseline_is_frozen_after_learning()
    {
        BaselineModel model = Learned();
        long now = Start + (700 * Second);
        FlowState twoWay = Flow(40100, "192.0.2.80", 443, 800, 5000, now);

        model.Learn(Image, twoWay, now);

        ImageBaseline baseline = model.Images[Image];
        Assert.False(baseline.Knows(BaselineDestination.Of(twoWay.Key)));
        Assert.Equal(21ul, baseline.FlowsObserved);
        // so the same destination going one-way later is still new
        Assert.NotNull(Judge(model, Flow(40101, "192.0.2.80", 443, 800, 0, now), now + (60 * Second)));
    }

    [Fact]
    public void Relearn_starts_the_image_again()
    {
        BaselineModel model = Learned();
        long now = Start + (700 * Second);
        model.TakeChanged();

        model.Relearn(Image, now);

        Assert.True(model.IsLearning(Image, now + Second));
        Assert.Equal(0ul, model.Images[Image].FlowsObserved);
        Assert.Equal(now, model.Images[Image].FirstLearnedUnixNs);
        Assert.Single(model.TakeChanged());
        FlowState flow = Flow(40100, "192.0.2.80", 443, 800, 5000, now + Second);
        model.Learn(Image, flow, now + Second);
        Assert.True(model.Images[Image].Knows(BaselineDestination.Of(flow.Key)));
    }

    [Fact]
    public void Port_matching_accepts_a_new_address_on_a_known_port()
    {
        BaselineModel model = Learned(Options(BaselineMatch.Port));
        long now = Start + (700 * Second);

        Assert.Null(Judge(model, Flow(40100, "192.0.2.99", 443, 800, 0, now - (30 * Second)), now));
        BaselineFinding? finding = Judge(model, Flow(40101, "192.0.2.99", 4444, 800, 0, now - (30 * Second)), now);
        Assert.NotNull(finding);
        Assert.Equal(BaselineMatch.Port, finding.Match);
    }

    [Fact]
    public void Destination_matching_flags_a_new_address_on_a_known_port_and_says_so()
    {
        BaselineModel model = Learned();
        long now = Start + (700 * Second);

        BaselineFinding? finding = Judge(model, Flow(40100, "192.0.2.99", 443, 800, 0, now - (30 * Second)), now);

        Assert.NotNull(finding);
        Assert.True(finding.PortKnown);
    }

    [Fact]
    public void An_overflowed_destination_set_judges_by_port_and_counts_what_it_cannot_judge()
    {
        BaselineOptions options = Options();
        options.MaxDestinationsPerImage = 2;
        BaselineModel model = Learned(options);
        Assert.Equal(2, model.Images[Image].Destinations.Count);
        Assert.True(model.Images[Image].DestinationsDropped > 0);
        long now = Start + (700 * Second);

        // a new address on a known port may have been one of the dropped destinations
        Assert.Null(Judge(model, Flow(40100, "192.0.2.99", 443, 800, 0, now - (30 * Second)), now));
        Assert.Equal(1ul, model.Counters.Unjudged);
        // a port never used cannot have been
        Assert.NotNull(Judge(model, Flow(40101, "192.0.2.99", 4444, 800, 0, now - (30 * Second)), now));
    }

    [Fact]
    public void Images_past_the_bound_are_counted_and_never_learned()
    {
        BaselineOptions options = Options();
        options.MaxImages = 1;
        var model = new BaselineModel(options);
        model.Learn("a:1", Flow(40000, "203.0.113.10", 443, 500, 900, Start), Start);
        model.Learn("b:1", Flow(40001, "203.0.113.10", 443, 500, 900, Start), Start);

        Assert.Single(model.Images);
        Assert.Equal(1ul, model.Counters.ImagesDropped);
        Assert.True(model.IsLearning("b:1", Start + (3600 * Second)));
    }

    [Fact]
    public void Changes_are_taken_once_as_independent_copies()
    {
        var model = new BaselineModel(Options());
        model.Learn(Image, Flow(40000, "203.0.113.10", 443, 500, 900, Start), Start);

        IReadOnlyCollection<ImageBaseline> changed = model.TakeChanged();
        model.Learn(Image, Flow(40001, "203.0.113.11", 443, 500, 900, Start), Start);

        ImageBaseline copy = Assert.Single(changed);
        Assert.Single(copy.Destinations);
        Assert.Equal(2, model.Images[Image].Destinations.Count);
        Assert.Single(model.TakeChanged());
        Assert.Empty(model.TakeChanged());
        Assert.False(model.HasChanges);
    }

    [Fact]
    public void A_failed_save_is_taken_again()
    {
        var model = new BaselineModel(Options());
        model.Learn(Image, Flow(40000, "203.0.113.10", 443, 500, 900, Start), Start);
        IReadOnlyCollection<ImageBaseline> failed = model.TakeChanged();

        model.MarkUnsaved(failed);

        Assert.True(model.HasChanges);
        Assert.Single(model.TakeChanged());
    }

    [Fact]
    public void Freezing_is_a_change_to_save()
    {
        BaselineModel model = Learned();
        model.TakeChanged();
        var fresh = new BaselineModel(Options(), new Dictionary<string, ImageBaseline> { [Image] = LearningCopy(model) });

        Assert.False(fresh.IsLearning(Image, Start + (700 * Second)));
        ImageBaseline saved = Assert.Single(fresh.TakeChanged());
        Assert.True(saved.Frozen);
    }

    [Fact]
    public void Loaded_baselines_take_the_model_bounds()
    {
        BaselineModel model = Learned();
        BaselineOptions options = Options();
        options.MaxDestinationsPerImage = 1;

        var reloaded = new BaselineModel(options, model.Images);

        ImageBaseline baseline = reloaded.Images[Image];
        Assert.Single(baseline.Destinations);
        Assert.Equal(1, baseline.MaxDestinations);
        // dropped counts flows: 10 to the DNS server and 1 to the syslog host
        Assert.Equal(11ul, baseline.DestinationsDropped);
        Assert.NotSame(model.Images[Image], baseline);
    }

    [Fact]
    public void Tracked_flows_are_forgotten_once_the_image_froze()
    {
        BaselineModel model = Learned();
        Assert.True(model.Counters.TrackedFlows > 0);

        model.Learn(Image, Flow(40000, "203.0.113.10", 443, 500, 20_000, Start), Start + (900 * Second));

        Assert.Equal(0ul, model.Counters.TrackedFlows);
        Assert.Equal(0ul, model.Counters.Learning);
        Assert.Equal(1ul, model.Counters.Images);
    }

    /// <summary>The learned baseline as if saved just before it froze.</summary>
    private static ImageBaseline LearningCopy(BaselineModel model)
    {
        ImageBaseline frozen = model.Images[Image];
        var copy = new ImageBaseline(frozen.Image, frozen.FirstLearnedUnixNs) { LastLearnedUnixNs = frozen.LastLearnedUnixNs, InboundFlows = frozen.InboundFlows };
        foreach (TxRxRatio bucket in Enum.GetValues<TxRxRatio>())
        {
            copy.AddRatio(bucket, frozen.RatioCount(bucket));
        }

        return copy;
    }
}
