namespace OneWaySensor.Detection;

/// <summary>
/// A time range in which rules are suppressed or downgraded (updates,
/// planned network work: the ADS's second false positive). Counted either way.
/// </summary>
public sealed class MaintenanceWindow
{
    public string? Reason { get; set; }

    public DateTimeOffset Start { get; set; }

    public DateTimeOffset End { get; set; }

    /// <summary>"suppress" drops the alerts; "downgrade" lowers them to low priority and says why.</summary>
    public string Action { get; set; } = "suppress";

    /// <summary>Rules it applies to; empty means all.</summary>
    public List<string> Rules { get; set; } = [];

    public bool Suppresses => Action == "suppress";

    /// <summary>The first problem as "<paramref name="path"/>:Key: problem", or null.</summary>
    public string? Validate(string path)
    {
        if (End <= Start)
        {
            return $"{path}:End: ({End:O}) must be after Start ({Start:O})";
        }

        if (Action is not ("suppress" or "downgrade"))
        {
            return $"{path}:Action: must be \"suppress\" or \"downgrade\", got '{Action}'";
        }

        return RuleIds.Unknown(Rules) is string unknown ? $"{path}:Rules: unknown rule '{unknown}'" : null;
    }

    public bool Covers(string rule, DateTimeOffset time) =>
        time >= Start && time < End && (Rules.Count == 0 || Rules.Contains(rule));
}
