using System.Runtime.InteropServices;
using OneWaySensor.Alerts;

namespace OneWaySensor.Detection;

/// <summary>Counts of alerts that were not raised as they stood, per rule.</summary>
public sealed class SuppressionCounters
{
    private readonly Dictionary<string, ulong> allowlisted = [];
    private readonly Dictionary<string, ulong> inMaintenance = [];
    private readonly Dictionary<string, ulong> downgraded = [];
    private readonly Dictionary<string, ulong> repeats = [];

    public IReadOnlyDictionary<string, ulong> Allowlisted => allowlisted;

    public IReadOnlyDictionary<string, ulong> InMaintenance => inMaintenance;

    public IReadOnlyDictionary<string, ulong> Downgraded => downgraded;

    /// <summary>Conditions that held again within the window of an alert already raised: folded into it, not raised.</summary>
    public IReadOnlyDictionary<string, ulong> Repeats => repeats;

    internal static void Count(Dictionary<string, ulong> counters, string rule) =>
        counters[rule] = counters.GetValueOrDefault(rule) + 1;

    internal void Allowlist(string rule) => Count(allowlisted, rule);

    internal void Maintenance(string rule) => Count(inMaintenance, rule);

    internal void Downgrade(string rule) => Count(downgraded, rule);

    internal void Repeat(string rule) => Count(repeats, rule);
}

/// <summary>
/// Decides whether a candidate alert is raised: allowlists first, then
/// maintenance windows, then one alert per (cgroup, rule, destination) per
/// window: new activity within the window only counts as a repeat, and the
/// next alert after the window carries the count. A condition that merely
/// still holds, with no new traffic behind it (a finished flow), is not
/// raised again at all.
/// </summary>
internal sealed class AlertGate(DetectionOptions options, long windowNs)
{
    // Last: when it was last raised; Asked: when a candidate last came to the gate (the sweep goes by it)
    private readonly Dictionary<(ulong Cgroup, string Rule, DestinationKey Destination), (long Last, int Raised, int Repeats, long Activity, long Asked)> raised = [];
    private readonly List<(ulong, string, DestinationKey)> expired = [];

    public SuppressionCounters Counters { get; } = new();

    /// <summary>null when the alert must not be raised; else its priority and how many times it was raised before.</summary>
    /// <param name="activity">When the candidate's traffic was last seen: unchanged means nothing new happened.</param>
    public (AlertPriority Priority, int Raised, int Repeats, string? Downgrade)? Admit(string rule, in AlertSubjectParts subject, AlertPriority priority, long nowUnixNs, long activity)
    {
        if (options.Allowlist.Count > 0)
        {
            AlertSubject built = subject.Build();
            foreach (AllowlistEntry entry in options.Allowlist)
            {
                if (entry.Matches(rule, built))
                {
                    Counters.Allowlist(rule);
                    return null;
                }
            }
        }

        string? downgrade = null;
        DateTimeOffset now = Flows.UnixTime.ToDateTimeOffset(nowUnixNs);
        foreach (MaintenanceWindow window in options.MaintenanceWindows)
        {
            if (!window.Covers(rule, now))
            {
                continue;
            }

            if (window.Suppresses)
            {
                Counters.Maintenance(rule);
                return null;
            }

            Counters.Downgrade(rule);
            priority = AlertPriority.Low;
            downgrade = $"maintenance window{(window.Reason is null ? string.Empty : ": " + window.Reason)}";
        }

        var key = (subject.Workload.CgroupId, rule, subject.Destination);
        // one look-up: a key not known yet is always raised below, so adding it here is what the end would do
        ref var gate = ref CollectionsMarshal.GetValueRefOrAddDefault(raised, key, out bool known);
        if (known)
        {
            gate.Asked = nowUnixNs;
            if (activity <= gate.Activity)
            {
                return null; // the same traffic as the last alert: nothing to say
            }

            if (nowUnixNs - gate.Last < windowNs)
            {
                gate.Repeats++;
                gate.Activity = activity;
                Counters.Repeat(rule);
                return null;
            }
        }

        (int raisedBefore, int repeats) = (gate.Raised, gate.Repeats);
        gate = (nowUnixNs, raisedBefore + 1, 0, activity, nowUnixNs);
        return (priority, raisedBefore, repeats, downgrade);
    }

    /// <summary>
    /// True when <see cref="Admit"/> would refuse the alert as the same traffic
    /// as the last one, or as a repeat within its window; then it has been
    /// refused already, every counter moved as <see cref="Admit"/> moves it,
    /// and the rule need not build the candidate. False when the alert could
    /// be raised: the caller builds it and asks <see cref="Admit"/>.
    /// </summary>
    public bool RefusesRepeat(string rule, in AlertSubjectParts subject, long nowUnixNs, long activity)
    {
        if (!raised.TryGetValue((subject.Workload.CgroupId, rule, subject.Destination), out var before)
            || (activity > before.Activity && nowUnixNs - before.Last >= windowNs))
        {
            return false;
        }

        // known and either unchanged or within its window: Admit can only refuse, so let it, with all its counting
        return Admit(rule, subject, AlertPriority.Low, nowUnixNs, activity) is null;
    }

    /// <summary>
    /// Forgets gates no candidate came to for a few windows, so memory follows
    /// the live destinations. By when it was last asked, not last raised: a
    /// finished flow the table keeps for longer must not be raised again.
    /// </summary>
    public void Sweep(long nowUnixNs)
    {
        expired.Clear();
        foreach (var pair in raised)
        {
            if (nowUnixNs - pair.Value.Asked > 4 * windowNs)
            {
                expired.Add(pair.Key);
            }
        }

        foreach (var key in expired)
        {
            raised.Remove(key);
        }
    }
}
