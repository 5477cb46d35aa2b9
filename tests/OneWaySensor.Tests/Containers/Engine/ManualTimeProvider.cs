namespace OneWaySensor.Tests.Containers.Engine;

/// <summary>
/// A clock that moves only when the test says. Timers (the cache's sweep,
/// Task.Delay and CancellationTokenSource timeouts through the provider) fire
/// inside <see cref="Advance"/>, in due order, on the test's thread.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 11, 27, 22, 0, 0, TimeSpan.Zero);

    private readonly Lock gate = new();
    private readonly List<ManualTimer> timers = [];
    private long now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(Volatile.Read(ref now));

    public override long GetTimestamp() => Volatile.Read(ref now);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>How long until each one-shot timer (a Task.Delay, a timeout) fires; periodic timers are left out.</summary>
    public IReadOnlyList<TimeSpan> PendingOneShots()
    {
        lock (gate)
        {
            return [.. timers.Where(timer => timer.Period == 0).Select(timer => TimeSpan.FromTicks(timer.DueAt - now))];
        }
    }

    /// <summary>Moves the clock on, firing every timer that falls due on the way.</summary>
    public void Advance(TimeSpan by)
    {
        long target;
        lock (gate)
        {
            target = now + by.Ticks;
        }

        while (true)
        {
            ManualTimer? due = null;
            lock (gate)
            {
                foreach (ManualTimer timer in timers)
                {
                    if (timer.DueAt <= target && (due is null || timer.DueAt < due.DueAt))
                    {
                        due = timer;
                    }
                }

                if (due is null)
                {
                    Volatile.Write(ref now, target);
                    return;
                }

                Volatile.Write(ref now, Math.Max(now, due.DueAt));
                if (due.Period > 0)
                {
                    due.DueAt += due.Period;
                }
                else
                {
                    timers.Remove(due);
                }
            }

            due.Fire();
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long DueAt { get; set; }

        public long Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner.gate)
            {
                owner.timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }

                DueAt = owner.now + dueTime.Ticks;
                Period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                owner.timers.Add(this);
                return true;
            }
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner.gate)
            {
                owner.timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
