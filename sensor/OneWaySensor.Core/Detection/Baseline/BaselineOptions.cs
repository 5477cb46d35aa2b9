namespace OneWaySensor.Detection.Baseline;

/// <summary>
/// The "Detection:Baseline" section of the config file: baseline_deviation.
/// Each container image learns what it normally does for
/// <see cref="LearningSeconds"/> (and at least <see cref="MinimumObservations"/>
/// flows); after that its baseline is frozen, and a destination it never
/// used while learning that gets only one-way traffic is a deviation.
/// <see cref="Validate"/> names the first bad key.
/// </summary>
public sealed class BaselineOptions
{
    public const string SectionName = "Detection:Baseline";

    public bool Enabled { get; set; } = true;

    /// <summary>How long an image learns, from its first flow, before it is judged.</summary>
    public int LearningSeconds { get; set; } = 3600;

    /// <summary>Flows an image must have shown before learning can end, however long it took.</summary>
    public int MinimumObservations { get; set; } = 20;

    /// <summary>What "a destination the image used" means: the exact endpoint, or (for large fleets behind changing addresses) only its protocol and port.</summary>
    public BaselineMatch Match { get; set; } = BaselineMatch.Destination;

    /// <summary>A flow is one-way only once it has sent payload and had none back for this long (a reply is usually milliseconds away).</summary>
    public int MinimumOneWaySeconds { get; set; } = 10;

    /// <summary>
    /// An image that sent at least this share of its outbound flows one-way
    /// while learning (a log shipper, a telemetry agent) gets medium, not
    /// high, priority for a new one-way destination.
    /// </summary>
    public double CommonOneWayShare { get; set; } = 0.2;

    /// <summary>Destinations kept per image; past it new ones are counted, not kept, and the image is judged by port.</summary>
    public int MaxDestinationsPerImage { get; set; } = ImageBaseline.DefaultMaxDestinations;

    /// <summary>Protocol and port pairs kept per image.</summary>
    public int MaxPortsPerImage { get; set; } = ImageBaseline.DefaultMaxPorts;

    /// <summary>Images with a baseline; an image past it is counted and never learned or judged.</summary>
    public int MaxImages { get; set; } = 1024;

    /// <summary>How often changed baselines are written to the state store, Sensor:StatePath (and once more at shutdown).</summary>
    public int SaveIntervalSeconds { get; set; } = 60;

    public string? Validate()
    {
        static string Problem(string key, string problem) => $"{SectionName}:{key}: {problem}";
        if (LearningSeconds is < 1 or > 31_536_000)
        {
            return Problem(nameof(LearningSeconds), $"must be between 1 and 31536000 (a year), got {LearningSeconds}");
        }

        if (MinimumObservations is < 1 or > 100_000_000)
        {
            return Problem(nameof(MinimumObservations), $"must be between 1 and 100000000, got {MinimumObservations}");
        }

        if (!Enum.IsDefined(Match))
        {
            return Problem(nameof(Match), $"must be Destination or Port, got {(int)Match}");
        }

        if (MinimumOneWaySeconds is < 0 or > 86_400)
        {
            return Problem(nameof(MinimumOneWaySeconds), $"must be between 0 and 86400, got {MinimumOneWaySeconds}");
        }

        if (double.IsNaN(CommonOneWayShare) || CommonOneWayShare is <= 0 or > 1)
        {
            return Problem(nameof(CommonOneWayShare), $"must be above 0 and at most 1, got {CommonOneWayShare}");
        }

        if (MaxDestinationsPerImage is < 1 or > 1_000_000)
        {
            return Problem(nameof(MaxDestinationsPerImage), $"must be between 1 and 1000000, got {MaxDestinationsPerImage}");
        }

        if (MaxPortsPerImage is < 1 or > 262_144)
        {
            return Problem(nameof(MaxPortsPerImage), $"must be between 1 and 262144 (every port of every protocol), got {MaxPortsPerImage}");
        }

        if (MaxImages is < 1 or > 100_000)
        {
            return Problem(nameof(MaxImages), $"must be between 1 and 100000, got {MaxImages}");
        }

        if (SaveIntervalSeconds is < 1 or > 86_400)
        {
            return Problem(nameof(SaveIntervalSeconds), $"must be between 1 and 86400, got {SaveIntervalSeconds}");
        }

        return null;
    }
}

/// <summary>How a destination is compared with what an image used while learning.</summary>
public enum BaselineMatch
{
    /// <summary>Protocol, remote address and remote port.</summary>
    Destination,

    /// <summary>Protocol and remote port only: for fleets whose services move between addresses.</summary>
    Port,
}
