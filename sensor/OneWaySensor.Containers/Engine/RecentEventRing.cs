namespace OneWaySensor.Containers.Engine;

/// <summary>
/// The last few runtime events of one container, oldest first. Written by
/// the event loop, read by the alert path, so each side takes the lock for
/// a few copies only.
/// </summary>
internal sealed class RecentEventRing
{
    private readonly RuntimeEvent[] events;
    private readonly Lock gate = new();
    private int next;
    private int count;

    public RecentEventRing(int capacity) => events = new RuntimeEvent[capacity];

    public void Add(RuntimeEvent runtimeEvent)
    {
        lock (gate)
        {
            events[next] = runtimeEvent;
            next = (next + 1) % events.Length;
            count = Math.Min(count + 1, events.Length);
        }
    }

    /// <summary>A copy, oldest first.</summary>
    public RuntimeEvent[] Snapshot()
    {
        lock (gate)
        {
            var copy = new RuntimeEvent[count];
            int first = (next - count + events.Length) % events.Length;
            for (int i = 0; i < count; i++)
            {
                copy[i] = events[(first + i) % events.Length];
            }

            return copy;
        }
    }
}
