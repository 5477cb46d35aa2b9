using OneWaySensor.Flows;

namespace OneWaySensor.Linux.Kernel;

/// <summary>
/// Handles the kernel's flow records by feeding the <see cref="FlowTable"/>.
/// The source and the benchmarks build their dispatcher through <see cref="CreateDispatcher"/>,
/// so both measure and run the same path.
/// </summary>
internal sealed class FlowRecordHandler(FlowTable table)
{
    /// <summary>Converts record timestamps; set once the programs are loaded.</summary>
    public MonotonicClock Clock { get; set; }

    public RecordDispatcher CreateDispatcher()
    {
        var dispatcher = new RecordDispatcher();
        dispatcher.Register(RecordKind.FlowOpen, FlowOpenRecord.ByteSize, OnFlowOpen);
        return dispatcher;
    }

    private void OnFlowOpen(ReadOnlySpan<byte> record)
    {
        FlowOpenRecord open = RecordDispatcher.ReadBody<FlowOpenRecord>(record);
        table.Open(RecordConversions.ToOpening(open, Clock));
    }
}
