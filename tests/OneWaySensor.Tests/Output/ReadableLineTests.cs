using System.Text;
using OneWaySensor.Cli.Output;

namespace OneWaySensor.Tests.Output;

/// <summary>The one-line form stdout takes at a terminal: what happened, and never a raw control character.</summary>
public sealed class ReadableLineTests
{
    [Fact]
    public void An_alert_reads_as_time_priority_rule_container_and_summary()
    {
        string line = Format("""{"seq":1,"kind":"alert","time":"2026-11-28T01:02:03.000000Z","priority":"high","rule":"one_way_flow","summary":"sent 5 datagrams, none back","cgroup":{"id":1,"path":"/x"},"workload":"container","container":{"id":"7be92808767a667f","name":"/web"}}""");
        Assert.Equal("01:02:03 alert              HIGH one_way_flow /web: sent 5 datagrams, none back", line);
    }

    [Fact]
    public void Names_and_commands_with_terminal_escapes_are_shown_escaped()
    {
        string line = Format("""{"seq":2,"kind":"exec_start","time":"2026-11-28T01:02:03.000000Z","container":{"id":"abc","name":"evil\u001b]0;owned\u0007"},"command":"sh -c 'x'\nfake line"}""");
        Assert.DoesNotContain(line, char.IsControl);
        Assert.Contains("evil\\u001b]0;owned\\u0007", line, StringComparison.Ordinal);
        Assert.Contains("\\u000afake line", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flow_summary_and_an_export_notice_say_what_they_count()
    {
        Assert.Equal(
            "01:02:03 flow_summary       host /system.slice udp 127.0.0.1:53 flows 2 tx 300 B/3 pkts rx 0 B/0 pkts",
            Format("""{"seq":3,"kind":"flow_summary","time":"2026-11-28T01:02:03.000000Z","cgroup":{"id":1,"path":"/system.slice"},"container":null,"remote":{"proto":"udp","addr":"127.0.0.1","port":53},"flows":2,"tx_ip_bytes":300,"tx_packets":3,"rx_ip_bytes":0,"rx_packets":0}"""));
        Assert.EndsWith("this export client missed 12 records", Format("""{"kind":"health","time":"2026-11-28T01:02:03.000000Z","scope":"export_client","missed":12,"missed_total":40}"""), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json \u001b[2J", "not json \\u001b[2J")]
    [InlineData("{\"kind\":\"alert\",", "{\"kind\":\"alert\",")]
    [InlineData("[1,2]", "--:--:-- record             [1,2]")]
    public void A_line_that_is_not_a_record_is_shown_escaped_rather_than_failing(string text, string shown)
    {
        // `alerts` formats what the state file holds; a damaged row must not end the listing
        Assert.Equal(shown, Format(text));
    }

    private static string Format(string json) => ReadableLine.Format(Encoding.UTF8.GetBytes(json));
}
