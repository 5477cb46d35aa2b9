namespace OneWaySensor.Containers.Engine;

/// <summary>
/// Waits between reconnects: the minimum, doubling up to the maximum, and
/// back to the minimum once a connection has been good. An engine that is
/// restarting is not hammered, and one that is back is used at once.
/// </summary>
internal sealed class ExponentialBackoff
{
    private readonly TimeSpan minimum;
    private readonly TimeSpan maximum;
    private TimeSpan next;

    public ExponentialBackoff(TimeSpan minimum, TimeSpan maximum)
    {
        this.minimum = minimum;
        this.maximum = maximum;
        next = minimum;
    }

    /// <summary>The wait before the next attempt; each call doubles the one after.</summary>
    public TimeSpan Next()
    {
        TimeSpan wait = next;
        next = next >= maximum / 2 ? maximum : next * 2;
        return wait;
    }

    public void Reset() => next = minimum;
}
