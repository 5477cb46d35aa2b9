namespace OneWaySensor.Containers.Engine;

/// <summary>
/// What the engine client refused or could not do, for the health output:
/// every answer is untrusted, and nothing it drops goes uncounted.
/// </summary>
public struct EngineClientCounters
{
    /// <summary>Answers or events that were not usable JSON of the expected shape (not JSON, not an object, no id).</summary>
    public ulong MalformedAnswers;

    /// <summary>Parts of a good answer that were skipped (a label of the wrong type, a port that does not parse).</summary>
    public ulong MalformedElements;

    /// <summary>Answers or events over the size limit, refused unread.</summary>
    public ulong OversizedAnswers;

    /// <summary>Values cut to the length limit, and labels or ports beyond the count limit.</summary>
    public ulong TruncatedValues;

    /// <summary>Events of a kind the sensor does not use (kill, exec_die, health_status...).</summary>
    public ulong IgnoredEvents;

    /// <summary>Requests that failed: no connection, a timeout, a broken stream or an error status.</summary>
    public ulong RequestsFailed;
}
