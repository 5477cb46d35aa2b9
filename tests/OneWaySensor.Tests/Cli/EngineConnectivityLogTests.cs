using Microsoft.Extensions.Logging;
using OneWaySensor.Cli.Logging;
using OneWaySensor.Containers;
using OneWaySensor.Tests.Containers.Engine;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Cli;

/// <summary>An engine outage is one line however long it lasts, its end another; a brief reconnect and an absent default engine are no news.</summary>
public sealed class EngineConnectivityLogTests
{
    private const string Docker = "/var/run/docker.sock";
    private const string Podman = "/run/podman/podman.sock";
    private readonly ManualTimeProvider time = new();
    private readonly RecordingLogger logger = new();

    [Fact]
    public void An_outage_is_one_line_and_its_end_another()
    {
        var log = new EngineConnectivityLog(reportNeverConnected: false, logger, time);
        log.Check([Up(Docker)]);
        for (int check = 0; check < 50; check++)
        {
            log.Check([Down(Docker, "connection refused")]);
            time.Advance(TimeSpan.FromMilliseconds(200));
        }

        log.Check([Up(Docker)]);
        log.Check([Up(Docker)]);

        Assert.Equal(
            [
                (LogLevel.Warning, $"container engine {Docker} is not answering (connection refused): counting goes on; containers are named by their cgroup path until it answers again"),
                (LogLevel.Information, $"container engine {Docker} answers again: its containers are listed and named"),
            ],
            logger.Lines);
    }

    [Fact]
    public void A_reconnect_within_the_grace_is_not_an_outage()
    {
        var log = new EngineConnectivityLog(reportNeverConnected: false, logger, time);
        log.Check([Up(Docker)]);
        log.Check([Down(Docker, "its event stream ended")]);
        time.Advance(EngineConnectivityLog.Grace / 2);
        log.Check([Up(Docker)]);

        Assert.Empty(logger.Lines);
    }

    [Fact]
    public void A_default_engine_that_never_answered_is_not_news_but_a_named_one_is()
    {
        var quiet = new EngineConnectivityLog(reportNeverConnected: false, logger, time);
        var named = new EngineConnectivityLog(reportNeverConnected: true, logger, time);
        quiet.Check([Down(Podman, "no such file")]);
        named.Check([Down(Podman, "no such file")]);
        time.Advance(TimeSpan.FromSeconds(5));
        quiet.Check([Down(Podman, "no such file")]);
        named.Check([Down(Podman, "no such file")]);

        Assert.Equal(LogLevel.Warning, Assert.Single(logger.Lines).Level);
    }

    [Fact]
    public void Before_its_first_attempt_ends_an_engine_is_neither_up_nor_down()
    {
        var log = new EngineConnectivityLog(reportNeverConnected: true, logger, time);
        log.Check([new EngineConnection(Docker, Connected: false, LastFailure: null)]);
        time.Advance(TimeSpan.FromSeconds(5));
        log.Check([new EngineConnection(Docker, Connected: false, LastFailure: null)]);

        Assert.Empty(logger.Lines);
    }

    private static EngineConnection Up(string socket) => new(socket, Connected: true, LastFailure: null);

    private static EngineConnection Down(string socket, string reason) => new(socket, Connected: false, LastFailure: reason);
}
