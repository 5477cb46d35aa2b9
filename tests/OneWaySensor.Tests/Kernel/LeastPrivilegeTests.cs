using System.Globalization;
using System.Net;
using System.Text.Json;
using OneWaySensor.Linux;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The documented capability set (deploy/systemd/onewaysensor.service,
/// README) is enough: under root's uid with the bounding set cut to exactly
/// those five, the sensor starts, counts and alerts, and once started every
/// thread holds only CAP_DAC_READ_SEARCH and cannot regain the rest.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class LeastPrivilegeTests
{
    /// <summary>The set the unit grants: setpriv spelling of CapabilityBoundingSet.</summary>
    private const string DocumentedSet = "-all,+bpf,+perfmon,+net_admin,+sys_resource,+dac_read_search";

    private const ulong DacReadSearch = 1ul << Privileges.CapDacReadSearch;

    [SkippableFact]
    public void With_only_the_documented_capabilities_the_sensor_alerts_and_every_thread_drops_to_dac_read_search()
    {
        Requirements.Root();
        Requirements.Built();
        Requirements.Tool("setpriv");
        Requirements.Tool("bpftool");
        using var sink = LoopbackServer.Udp(IPAddress.Loopback, echo: false);
        using var cgroup = TestCgroup.Create("leastpriv");
        using var sensor = SensorProcess.StartUnder(
            ["setpriv", $"--bounding-set={DocumentedSet}", "--inh-caps=-all", "--"],
            "run", "--window", "2", "--poll-interval", "200", "--no-engine");

        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
        OwnedBpfObjects owned = OwnedBpfObjects.Of(sensor.Pid);
        Assert.NotEmpty(owned.Links);
        Assert.Contains(sensor.Stderr.Split('\n'), line => line.Contains("every thread dropped its capabilities but CAP_DAC_READ_SEARCH", StringComparison.Ordinal));
        foreach ((string thread, ulong permitted, ulong effective, bool noNewPrivs) in Threads(sensor.Pid))
        {
            Assert.True(permitted == DacReadSearch, $"thread {thread} permits {permitted:x}");
            Assert.True(effective == DacReadSearch, $"thread {thread} has {effective:x} in effect");
            Assert.True(noNewPrivs, $"thread {thread} could regain capabilities through exec");
        }

        // after the drop, the sensor still counts and alerts
        TrafficResult sent = TrafficResult.From(cgroup.Run(RepoPaths.TrafficGenerator, "udp-send", "127.0.0.1", sink.Port.ToString(CultureInfo.InvariantCulture), "5", "200"));
        sensor.WaitUntil(() => AlertFor(sensor, cgroup.Id, sent.LocalPort) is not null, TimeSpan.FromSeconds(20), "the one-way sender's alert");
        JsonElement flow = AlertFor(sensor, cgroup.Id, sent.LocalPort)!.Value.GetProperty("flow");
        Assert.Equal(sent.SentPackets, flow.GetProperty("tx_packets").GetUInt64());

        // and stops cleanly without them: detached, exit 0
        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(15)));
        Assert.Empty(owned.LinksStillPresent());
    }

    /// <summary>Each thread's permitted and effective sets and no_new_privs, from /proc/PID/task/*/status.</summary>
    private static List<(string Thread, ulong Permitted, ulong Effective, bool NoNewPrivs)> Threads(int pid)
    {
        var threads = new List<(string, ulong, ulong, bool)>();
        foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            string[] status;
            try
            {
                status = File.ReadAllLines(Path.Combine(task, "status"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }

            string Field(string name) => status.First(line => line.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim();
            threads.Add((Path.GetFileName(task), Hex(Field("CapPrm:")), Hex(Field("CapEff:")), Field("NoNewPrivs:") == "1"));
        }

        Assert.NotEmpty(threads);
        return threads;
    }

    private static ulong Hex(string text) => ulong.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static JsonElement? AlertFor(SensorProcess sensor, ulong cgroupId, int localPort) =>
        SensorOutput.Records(sensor, "alert")
            .Where(alert => SensorOutput.CgroupOf(alert) == cgroupId && alert.GetProperty("flow").GetProperty("local_port").GetInt32() == localPort)
            .Cast<JsonElement?>()
            .FirstOrDefault();
}
