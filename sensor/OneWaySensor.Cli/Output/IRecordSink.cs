namespace OneWaySensor.Cli.Output;

/// <summary>
/// One destination of the output stream. The pipeline hands each record to
/// every sink in order, on its one writer thread; a sink never throws for a
/// record it could not take, it counts it in <see cref="Lost"/>.
/// </summary>
internal interface IRecordSink : IDisposable
{
    /// <summary>The sink's metric label: "stdout", "output_file", "alerts_file", "export", "state".</summary>
    string Name { get; }

    /// <summary>Records this sink could not deliver (refused writes, a full client buffer).</summary>
    long Lost { get; }

    /// <summary>
    /// Why the last write failed (a full disk, a closed pipe); null once a
    /// write succeeds again, and always for the export, whose losses are its
    /// slow clients' and not its own.
    /// </summary>
    string? LastError { get; }

    /// <param name="kind">What the record is.</param>
    /// <param name="jsonLine">The record as one JSON line, newline included.</param>
    /// <param name="record">The record itself, for sinks that index it (the alert history).</param>
    void Write(RecordKind kind, ReadOnlySpan<byte> jsonLine, object record);
}
