using System.Text;
using OneWaySensor.Cli.Control;
using OneWaySensor.Cli.Health;
using OneWaySensor.Cli.Top;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Cli;

/// <summary>
/// `status` and `top` read the running sensor's answers; one of another
/// version or a damaged one is read, or fails only in ways the commands turn
/// into their one line (<see cref="ControlClient.IsUnreadableAnswer"/>), never
/// a stack trace.
/// </summary>
public sealed class ControlAnswerFuzzTests
{
    private const string Status = """{"time":"2026-11-28T00:00:00.000000Z","metrics":{"onewaysensor_uptime_seconds":1.5,"onewaysensor_records_total":{"alert":1,"health":2}}}""";
    private const string Top = """{"time":"2026-11-28T00:00:00.000000Z","rows":[{"cgroup":7,"name":"web","workload":"docker","tx_bytes":1,"tx_packets":1,"rx_bytes":0,"rx_packets":0,"flows":1,"one_way_flows":1,"alerts":0}]}""";

    [Fact]
    public void A_mutated_status_answer_is_read_or_unreadable()
    {
        Fuzz.Cases(2000, random => AssertReadOrUnreadable(() => StatusCommand.Readable(Mutated(random, Status))));
    }

    [Fact]
    public void A_mutated_top_answer_is_drawn_or_unreadable()
    {
        Fuzz.Cases(2000, random => AssertReadOrUnreadable(() => TopFrame.Parse(Mutated(random, Top)).Render(null, 120)));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"time":5,"rows":[]}""")]
    [InlineData("""{"time":"soon","rows":[]}""")]
    [InlineData("""{"time":"2026-11-28T00:00:00Z","rows":[{"cgroup":-1}]}""")]
    [InlineData("""{"time":"2026-11-28T00:00:00Z","rows":{"a":1}}""")]
    [InlineData("""{"time":"2026-11-28T00:00:00Z","metrics":[1]}""")]
    [InlineData("""{"error":5}""")]
    public void An_answer_of_another_shape_is_unreadable(string answer)
    {
        AssertReadOrUnreadable(() => StatusCommand.Readable(answer));
        AssertReadOrUnreadable(() => TopFrame.Parse(answer).Render(null, 120));
        AssertReadOrUnreadable(() => ControlClient.ErrorOf(answer));
    }

    private static string Mutated(Random random, string answer) =>
        Encoding.UTF8.GetString(Fuzz.Mutate(random, Encoding.UTF8.GetBytes(answer)));

    private static void AssertReadOrUnreadable(Func<object?> read)
    {
        Exception? error = Record.Exception(read);
        Assert.True(error is null || ControlClient.IsUnreadableAnswer(error), $"{error?.GetType().Name}: {error?.Message}");
    }
}
