using Microsoft.Extensions.Logging;
using OneWaySensor.Cli.Logging;

namespace OneWaySensor.Cli.Output;

/// <summary>
/// Says in few lines what the output could not deliver, where the metrics
/// count every record: for each sink, its first lost record with the reason,
/// then at most a line a minute while it keeps losing, and one line when it
/// writes again; the same for records dropped with the output queue full. A
/// full disk under one file is then one line, not a line per record, and the
/// other sinks go on. Called from the watchdog, one thread.
/// </summary>
internal sealed partial class OutputLossLog(ILogger logger, TimeProvider? time = null)
{
    private readonly Dictionary<string, (ReportThrottle Throttle, bool Failing)> sinks = [];
    private readonly ReportThrottle queue = new(ReportThrottle.DefaultInterval, time);

    public void Check(IReadOnlyList<IRecordSink> outputSinks, long queueDropped)
    {
        ArgumentNullException.ThrowIfNull(outputSinks);
        foreach (IRecordSink sink in outputSinks)
        {
            if (!sinks.TryGetValue(sink.Name, out (ReportThrottle Throttle, bool Failing) said))
            {
                said = (new ReportThrottle(ReportThrottle.DefaultInterval, time), false);
            }

            long lost = sink.Lost;
            string? error = sink.LastError;
            if (said.Throttle.ShouldReport((ulong)lost))
            {
                LogSinkLoss(sink.Name, lost, error ?? "a client's buffer was full");
                said.Failing = error is not null;
            }
            else if (said.Failing && error is null)
            {
                LogSinkRecovered(sink.Name, lost);
                said.Failing = false;
            }

            sinks[sink.Name] = said;
        }

        if (queue.ShouldReport((ulong)queueDropped))
        {
            LogQueueDropped(queueDropped);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "output sink {Sink} lost {Lost} records so far ({Reason}); they are counted in sink_records_lost_total, and the other sinks go on")]
    private partial void LogSinkLoss(string sink, long lost, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "output sink {Sink} writes again; it lost {Lost} records in all")]
    private partial void LogSinkRecovered(string sink, long lost);

    [LoggerMessage(Level = LogLevel.Warning, Message = "output queue full: {Dropped} records dropped so far, for every sink")]
    private partial void LogQueueDropped(long dropped);
}
