namespace OneWaySensor.Processes;

public enum ProcessEventKind
{
    Exec,
    Exit,
}

/// <summary>
/// Endpoint telemetry from the kernel: a process started a program, or
/// exited. <see cref="Command"/> and <see cref="Executable"/> are the
/// process's own choice of text: outputs escape them.
/// </summary>
public sealed record ProcessEvent(
    DateTimeOffset Time,
    ProcessEventKind Kind,
    ulong CgroupId,
    uint Pid,
    uint? ParentPid,
    string Comm,
    string? Executable,
    int? ExitCode)
{
    public string KindName => Kind == ProcessEventKind.Exec ? "process_exec" : "process_exit";
}
