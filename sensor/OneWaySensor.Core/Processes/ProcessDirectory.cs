using System.Collections.Concurrent;

namespace OneWaySensor.Processes;

/// <summary>
/// The executables of processes, learnt from exec events, so an alert can
/// name the program behind a flow even after the process is gone. Bounded:
/// exited processes are forgotten after a grace period, and past
/// <see cref="Capacity"/> the oldest exited ones go first.
/// </summary>
public sealed class ProcessDirectory(TimeSpan retainAfterExit, int capacity = 65536)
{
    private readonly ConcurrentDictionary<uint, Entry> processes = new();

    private sealed record Entry(string Executable, ulong CgroupId, uint ParentPid, long? ExitedUnixNs);

    public int Capacity { get; } = capacity;

    public int Count => processes.Count;

    public void Record(ProcessEvent processEvent)
    {
        ArgumentNullException.ThrowIfNull(processEvent);
        if (processEvent.Kind == ProcessEventKind.Exec && processEvent.Executable is not null)
        {
            processes[processEvent.Pid] = new Entry(processEvent.Executable, processEvent.CgroupId, processEvent.ParentPid ?? 0, null);
        }
        else if (processEvent.Kind == ProcessEventKind.Exit && processes.TryGetValue(processEvent.Pid, out Entry? entry))
        {
            processes[processEvent.Pid] = entry with { ExitedUnixNs = Flows.UnixTime.FromDateTimeOffset(processEvent.Time) };
        }
    }

    /// <summary>The executable a process last exec'd, when an exec event named it.</summary>
    public string? ExecutableOf(uint pid) => processes.TryGetValue(pid, out Entry? entry) ? entry.Executable : null;

    /// <summary>Forgets processes that exited longer ago than the grace period, then the oldest exited past capacity.</summary>
    public void Sweep(long nowUnixNs)
    {
        long horizon = nowUnixNs - (long)retainAfterExit.TotalNanoseconds;
        foreach (KeyValuePair<uint, Entry> pair in processes)
        {
            if (pair.Value.ExitedUnixNs is long exited && exited < horizon)
            {
                processes.TryRemove(pair);
            }
        }

        if (processes.Count > Capacity)
        {
            foreach (KeyValuePair<uint, Entry> pair in processes.Where(p => p.Value.ExitedUnixNs is not null).OrderBy(p => p.Value.ExitedUnixNs).Take(processes.Count - Capacity).ToList())
            {
                processes.TryRemove(pair);
            }
        }
    }
}
