namespace OneWaySensor.Cli.Output;

/// <summary>What a record on the output stream is, for counting and for sinks that take only some.</summary>
internal enum RecordKind
{
    Alert,
    RuntimeEvent,
    ProcessEvent,
    Isolation,
    FlowSummary,
    Health,
}

internal static class RecordKinds
{
    public static readonly RecordKind[] All = Enum.GetValues<RecordKind>();

    /// <summary>The metric label of each kind.</summary>
    public static string Label(RecordKind kind) => kind switch
    {
        RecordKind.Alert => "alert",
        RecordKind.RuntimeEvent => "runtime_event",
        RecordKind.ProcessEvent => "process_event",
        RecordKind.Isolation => "isolation",
        RecordKind.FlowSummary => "flow_summary",
        _ => "health",
    };
}
