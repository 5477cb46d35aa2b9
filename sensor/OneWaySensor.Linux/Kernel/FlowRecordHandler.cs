using OneWaySensor.Flows;
using OneWaySensor.Processes;

namespace OneWaySensor.Linux.Kernel;

/// <summary>
/// Handles the kernel's records: flow records feed the <see cref="FlowTable"/>,
/// process records go to <paramref name="processEvents"/>. The source and
/// the benchmarks build their dispatcher through <see cref="CreateDispatcher"/>,
/// so both measure and run the same path.
/// </summary>
internal sealed class FlowRecordHandler(FlowTable table, Action<ProcessEvent>? processEvents = null)
{
    /// <summary>Converts record timestamps; set once the programs are loaded.</summary>
    public MonotonicClock Clock { get; set; }

    public RecordDispatcher CreateDispatcher()
    {
        var dispatcher = new RecordDispatcher();
        dispatcher.Register(RecordKind.FlowOpen, FlowOpenRecord.ByteSize, OnFlowOpen);
        dispatcher.Register(RecordKind.ProcessExec, ProcessExecRecord.ByteSize, OnProcessExec);
        dispatcher.Register(RecordKind.ProcessExit, ProcessExitRecord.ByteSize, OnProcessExit);
        return dispatcher;
    }

    private void OnProcessExec(ReadOnlySpan<byte> record)
    {
        ProcessExecRecord exec = RecordDispatcher.ReadBody<ProcessExecRecord>(record);
        processEvents?.Invoke(RecordConversions.ToExecEvent(exec, Clock));
    }

    private void OnProcessExit(ReadOnlySpan<byte> record)
    {
        ProcessExitRecord exit = RecordDispatcher.ReadBody<ProcessExitRecord>(record);
        processEvents?.Invoke(RecordConversions.ToExitEvent(exit, Clock));
    }

    private void OnFlowOpen(ReadOnlySpan<byte> record)
    {
        // read in place: the one record kind that comes by the million is not copied first
        ref readonly FlowOpenRecord open = ref RecordDispatcher.View<FlowOpenRecord>(record);
        table.Open(RecordConversions.ToOpening(open, Clock));
    }
}
