using Microsoft.Extensions.Logging;
using OneWaySensor.Cli.Output;
using OneWaySensor.Tests.Containers.Engine;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Output;

/// <summary>
/// A sink that keeps failing is one line with the reason (then a line a
/// minute at most), and one more when it writes again; a sink that loses
/// nothing is never mentioned; queue drops are said the same way.
/// </summary>
public sealed class OutputLossLogTests : IDisposable
{
    private readonly ManualTimeProvider time = new();
    private readonly RecordingLogger logger = new();
    private readonly FakeSink file = new("alerts_file");
    private readonly FakeSink stdout = new("stdout");

    public void Dispose()
    {
        file.Dispose();
        stdout.Dispose();
    }

    [Fact]
    public void A_failing_sink_is_one_line_with_its_reason_and_one_when_it_writes_again()
    {
        var log = new OutputLossLog(logger, time);
        IRecordSink[] sinks = [stdout, file];
        log.Check(sinks, 0);
        Assert.Empty(logger.Lines);

        for (int record = 1; record <= 100; record++)
        {
            file.Fail("No space left on device : '/mnt/alerts.jsonl'");
            time.Advance(TimeSpan.FromMilliseconds(200));
            log.Check(sinks, 0);
        }

        (LogLevel level, string message) = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Error, level);
        Assert.Equal("output sink alerts_file lost 1 records so far (No space left on device : '/mnt/alerts.jsonl'); they are counted in sink_records_lost_total, and the other sinks go on", message);

        file.Succeed();
        log.Check(sinks, 0);
        log.Check(sinks, 0);
        Assert.Equal(2, logger.Lines.Count);
        Assert.Equal((LogLevel.Information, "output sink alerts_file writes again; it lost 100 records in all"), logger.Lines[1]);
    }

    [Fact]
    public void A_loss_that_goes_on_is_said_again_after_a_minute()
    {
        var log = new OutputLossLog(logger, time);
        file.Fail("disk full");
        log.Check([file], 0);
        time.Advance(TimeSpan.FromSeconds(61));
        file.Fail("disk full");
        log.Check([file], 0);

        Assert.Equal(2, logger.Lines.Count);
        Assert.Contains("lost 2 records so far", logger.Lines[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Queue_drops_are_said_once_a_minute_at_most()
    {
        var log = new OutputLossLog(logger, time);
        log.Check([], 10);
        log.Check([], 20);
        time.Advance(TimeSpan.FromMinutes(1));
        log.Check([], 30);

        Assert.Equal(["output queue full: 10 records dropped so far, for every sink", "output queue full: 30 records dropped so far, for every sink"], logger.Lines.Select(line => line.Message));
    }

    private sealed class FakeSink(string name) : IRecordSink
    {
        public string Name => name;

        public long Lost { get; private set; }

        public string? LastError { get; private set; }

        public void Fail(string reason)
        {
            Lost++;
            LastError = reason;
        }

        public void Succeed() => LastError = null;

        public void Write(RecordKind kind, ReadOnlySpan<byte> jsonLine, object record)
        {
        }

        public void Dispose()
        {
        }
    }
}
