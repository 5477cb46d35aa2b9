using OneWaySensor.Detection.Rules;
using System.Text.Json.Nodes;
using OneWaySensor.Alerts;
using OneWaySensor.Detection.Baseline;
using OneWaySensor.Flows;
using static OneWaySensor.Tests.Core.Baseline.BaselineFlows;

namespace OneWaySensor.Tests.Core.Baseline;

public class BaselineRuleTests
{
    private const string Image = "registry.example/web:1.4";

    /// <summary>An image learned from <paramref name="twoWay"/> answered flows and <paramref name="oneWay"/> one-way flows, to distinct destinations.</summary>
    private static BaselineModel Learned(int twoWay, int oneWay)
    {
        var model = new BaselineModel(new BaselineOptions { LearningSeconds = 600, MinimumObservations = 5, MinimumOneWaySeconds = 10 });
        for (int i = 0; i < twoWay; i++)
        {
            model.Learn(Image, Flow((ushort)(40000 + i), "203.0.113.10", 443, 500, 20_000, Start + (i * Second)), Start + (i * Second));
        }

        for (int i = 0; i < oneWay; i++)
        {
            model.Learn(Image, Flow((ushort)(50000 + i), "192.0.2.50", 514, 300, 0, Start + (i * Second), FlowProtocol.Udp), Start + (i * Second));
        }

        return model;
    }

    [Fact]
    public void A_new_one_way_destination_gives_a_high_baseline_deviation()
    {
        BaselineModel model = Learned(twoWay: 19, oneWay: 1);
        long now = Start + (3 * 3600 * Second);
        FlowState first = Flow(40100, "192.0.2.99", 4444, 800, 0, now - (40 * Second));
        FlowState second = Flow(40101, "192.0.2.99", 4444, 200, 0, now - (20 * Second));

        Candidate? candidate = BaselineRule.Evaluate(model, Image, Destination(first), [first, second], now);

        Assert.NotNull(candidate);
        Assert.Equal("baseline_deviation", candidate.Rule);
        Assert.Equal(BaselineRule.RuleName, candidate.Rule);
        Assert.Equal(AlertPriority.High, candidate.Priority);
        Assert.Equal(Destination(first), candidate.Destination);
        Assert.Equal(second.Key, candidate.Flow.Key);
        Assert.Equal(2, candidate.Flows.Count);
        Assert.Equal(
            "tcp to 192.0.2.99:4444: new destination for image registry.example/web:1.4 (not among 2 destination(s) learned in 10 min); 2 flow(s) sent 1000 payload bytes and received none in 40 s",
            candidate.Summary);

        JsonObject evidence = candidate.Evidence;
        Assert.Equal(Image, (string?)evidence["image"]);
        Assert.Equal("destination", (string?)evidence["match"]);
        Assert.Equal(2, (int?)evidence["one_way_flows"]);
        Assert.Equal(1000ul, (ulong?)evidence["tx_payload_bytes"]);
        JsonObject baseline = evidence["baseline"]!.AsObject();
        Assert.Equal(2, (int?)baseline["known_destinations"]);
        Assert.Equal(20ul, (ulong?)baseline["flows_observed"]);
        Assert.Equal(0.05, (double?)baseline["one_way_share"]);
        Assert.Equal(OneWaySensor.Output.OutputJson.FormatTime(UnixTime.ToDateTimeOffset(Start)), (string?)baseline["learned_since"]);
        Assert.Equal(OneWaySensor.Output.OutputJson.FormatTime(UnixTime.ToDateTimeOffset(Start + (600 * Second))), (string?)baseline["learned_until"]);
        Assert.False((bool?)baseline["port_known"]);
        Assert.Equal(1ul, (ulong?)baseline["tx_rx_ratios"]!["tx_only"]);
        Assert.Equal(19ul, (ulong?)baseline["tx_rx_ratios"]!["below_0.1"]);
    }

    [Fact]
    public void An_image_that_often_sent_one_way_gets_medium()
    {
        BaselineModel model = Learned(twoWay: 10, oneWay: 10);
        long now = Start + (3600 * Second);
        FlowState flow = Flow(40100, "192.0.2.99", 4444, 800, 0, now - (40 * Second));

        Candidate? candidate = BaselineRule.Evaluate(model, Image, Destination(flow), [flow], now);

        Assert.NotNull(candidate);
        Assert.Equal(AlertPriority.Medium, candidate.Priority);
    }

    [Fact]
    public void A_workload_without_an_image_is_not_judged()
    {
        BaselineModel model = Learned(twoWay: 19, oneWay: 1);
        long now = Start + (3600 * Second);
        FlowState flow = Flow(40100, "192.0.2.99", 4444, 800, 0, now - (40 * Second));

        Assert.Null(BaselineRule.Evaluate(model, null, Destination(flow), [flow], now));
        Assert.Null(BaselineRule.Evaluate(model, "other:2", Destination(flow), [flow], now));
    }

    [Fact]
    public void Ipv6_endpoints_are_bracketed_and_port_matching_says_port()
    {
        var model = new BaselineModel(new BaselineOptions { LearningSeconds = 1, MinimumObservations = 1, MinimumOneWaySeconds = 0, Match = BaselineMatch.Port });
        model.Learn(Image, Flow(40000, "2001:db8::10", 443, 500, 900, Start), Start);
        long now = Start + (10 * Second);
        FlowState flow = Flow(40001, "2001:db8::99", 8443, 800, 0, now - Second);

        Candidate? candidate = BaselineRule.Evaluate(model, Image, Destination(flow), [flow], now);

        Assert.NotNull(candidate);
        Assert.StartsWith("tcp to [2001:db8::99]:8443: new tcp port 8443 for image", candidate.Summary, StringComparison.Ordinal);
        Assert.Equal("port", (string?)candidate.Evidence["match"]);
    }
}
