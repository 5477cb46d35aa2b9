namespace OneWaySensor.Detection;

/// <summary>
/// The "Detection" section of the config file: every rule's switch and
/// thresholds, allowlists, maintenance windows and the outage heuristic.
/// <see cref="Validate"/> names the first bad key.
/// </summary>
public sealed class DetectionOptions
{
    public const string SectionName = "Detection";

    public OneWayFlowOptions OneWayFlow { get; set; } = new();

    public UnansweredConnectOptions UnansweredConnect { get; set; } = new();

    public BeaconOptions Beacon { get; set; } = new();

    public SilentListenerOptions SilentListener { get; set; } = new();

    public ExecThenEgressOptions ExecThenEgress { get; set; } = new();

    public OutageOptions Outage { get; set; } = new();

    public Baseline.BaselineOptions Baseline { get; set; } = new();

    /// <summary>Traffic that is expected to be one-way (the ADS's telemetry agents and log shippers): suppressed, and counted.</summary>
    public List<AllowlistEntry> Allowlist { get; set; } = [];

    public List<MaintenanceWindow> MaintenanceWindows { get; set; } = [];

    /// <summary>
    /// Rules whose high and critical alerts on a container isolate it at once
    /// (ADS "Isolate the container"). Empty, the default: a person decides.
    /// </summary>
    public List<string> AutoIsolate { get; set; } = [];

    public string? Validate()
    {
        string? Problem(string key, string problem) => $"{SectionName}:{key}: {problem}";
        if (UnansweredConnect.Attempts is < 1 or > 100_000)
        {
            return Problem("UnansweredConnect:Attempts", $"must be between 1 and 100000, got {UnansweredConnect.Attempts}");
        }

        if (Beacon.MinimumContacts is < 3 or > 64)
        {
            return Problem("Beacon:MinimumContacts", $"must be between 3 and 64 (the contacts kept per destination), got {Beacon.MinimumContacts}");
        }

        if (double.IsNaN(Beacon.ScoreThreshold) || Beacon.ScoreThreshold is <= 0 or > 1)
        {
            return Problem("Beacon:ScoreThreshold", $"must be above 0 and at most 1, got {Beacon.ScoreThreshold}");
        }

        if (Beacon.SilenceSeconds is < 1 or > 86_400)
        {
            return Problem("Beacon:SilenceSeconds", $"must be between 1 and 86400, got {Beacon.SilenceSeconds}");
        }

        if (ExecThenEgress.WithinSeconds is < 1 or > 86_400)
        {
            return Problem("ExecThenEgress:WithinSeconds", $"must be between 1 and 86400, got {ExecThenEgress.WithinSeconds}");
        }

        if (Outage.Containers is < 2 or > 100_000)
        {
            return Problem("Outage:Containers", $"must be between 2 and 100000, got {Outage.Containers}");
        }

        if (RuleIds.Unknown(AutoIsolate) is string unknownRule)
        {
            return Problem("AutoIsolate", $"unknown rule '{unknownRule}'");
        }

        if (Baseline.Validate() is string baselineProblem)
        {
            return baselineProblem;
        }

        for (int i = 0; i < Allowlist.Count; i++)
        {
            if (Allowlist[i].Validate($"{SectionName}:Allowlist:{i}") is string problem)
            {
                return problem;
            }
        }

        for (int i = 0; i < MaintenanceWindows.Count; i++)
        {
            if (MaintenanceWindows[i].Validate($"{SectionName}:MaintenanceWindows:{i}") is string problem)
            {
                return problem;
            }
        }

        return null;
    }
}

public sealed class OneWayFlowOptions
{
    public bool Enabled { get; set; } = true;
}

public sealed class UnansweredConnectOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>TCP attempts to one destination without a SYN-ACK, within the window, that raise the rule.</summary>
    public int Attempts { get; set; } = 3;
}

public sealed class BeaconOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Contacts needed before a destination is scored at all.</summary>
    public int MinimumContacts { get; set; } = 6;

    /// <summary>The score (0..1) at which a destination is a beacon.</summary>
    public double ScoreThreshold { get; set; } = 0.8;

    /// <summary>Inside one long-lived flow, bytes after this much silence start a new contact.</summary>
    public int SilenceSeconds { get; set; } = 2;
}

public sealed class SilentListenerOptions
{
    public bool Enabled { get; set; } = true;
}

public sealed class ExecThenEgressOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>A new destination or one-way flow this soon after an exec into the container is tied to it.</summary>
    public int WithinSeconds { get; set; } = 60;
}

public sealed class OutageOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>This many containers failing to reach one destination in one window is an outage, not an attack.</summary>
    public int Containers { get; set; } = 3;
}
