using System.Text;
using OneWaySensor.Alerts;
using OneWaySensor.State;

namespace OneWaySensor.Cli.Output;

/// <summary>Alerts into the state file's history, for `onewaysensor alerts`; a failed write is counted and the stream goes on.</summary>
internal sealed class AlertHistorySink(SqliteAlertHistory history) : IRecordSink
{
    private long lost;
    private volatile string? lastError;

    public string Name => "state";

    public long Lost => Interlocked.Read(ref lost);

    public string? LastError => lastError;

    public void Write(RecordKind kind, ReadOnlySpan<byte> jsonLine, object record)
    {
        if (record is not Alert alert)
        {
            return;
        }

        try
        {
            history.Append(alert.Time, alert.Rule, alert.ContainerMetadata?.Name, alert.Container?.Id, Encoding.UTF8.GetString(jsonLine).TrimEnd('\n'));
            lastError = null;
        }
        catch (StateException error)
        {
            lastError = error.Message;
            Interlocked.Increment(ref lost);
        }
    }

    public void Dispose() => history.Dispose();
}
