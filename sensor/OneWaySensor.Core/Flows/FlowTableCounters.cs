namespace OneWaySensor.Flows;

/// <summary>What the flow table has counted about its sources, for the health output.</summary>
public struct FlowTableCounters
{
    /// <summary>Flows that left the source's table before the sensor expired them (LRU eviction).</summary>
    public ulong Evicted;

    /// <summary>Flows the source dropped and began again; counts between the last read and the drop are lost.</summary>
    public ulong Restarted;

    /// <summary>Flows found in the source at start, counted by the sensor before this one (a pinned map reused).</summary>
    public ulong Resumed;

    /// <summary>Flows the sensor expired after their idle timeout.</summary>
    public ulong Expired;

    /// <summary>
    /// Flows forgotten before their idle timeout because the table was at its
    /// limit: the longest silent of those the source no longer held.
    /// </summary>
    public ulong ForgottenAtLimit;

    /// <summary>Flows the sensor tracks now.</summary>
    public ulong Active;
}
