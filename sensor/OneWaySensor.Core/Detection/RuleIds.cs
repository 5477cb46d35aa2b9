namespace OneWaySensor.Detection;

/// <summary>Rule names as they appear in alerts and in the config.</summary>
public static class RuleIds
{
    public const string OneWayFlow = "one_way_flow";
    public const string UnansweredConnect = "unanswered_connect";
    public const string Beacon = "beacon";
    public const string SilentListener = "silent_listener";
    public const string ExecThenEgress = "exec_then_egress";
    public const string BaselineDeviation = Baseline.BaselineRule.RuleName;

    public static readonly IReadOnlyList<string> All = [OneWayFlow, UnansweredConnect, Beacon, SilentListener, ExecThenEgress, BaselineDeviation];

    /// <summary>The first name that is not a rule, or null.</summary>
    public static string? Unknown(IEnumerable<string> names) => names.FirstOrDefault(name => !All.Contains(name));
}
