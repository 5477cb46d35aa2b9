using OneWaySensor.Detection.Rules;

namespace OneWaySensor.Detection;

/// <summary>
/// How many cgroups fail to reach each destination in one evaluation (the
/// ADS's second false positive: a network fault hits every container at
/// once), counted only where they run more than one image: replicas of one
/// compromised image beaconing to the same server are an attack, not an
/// outage. Loopback is each network namespace's own, never one destination.
/// </summary>
/// <remarks>
/// Silent destinations are refused as repeats on every poll and still count
/// here, so this runs on every poll: it sorts reused lists instead of
/// grouping with LINQ, and allocates nothing once its lists have grown.
/// </remarks>
internal sealed class OutageCounter
{
    private readonly List<(DestinationKey Endpoint, ulong Cgroup, string? Image)> failures = [];
    private readonly Dictionary<DestinationKey, int> failing = [];

    /// <summary>Counts this evaluation's failure candidates and the failures refused as repeats.</summary>
    public void Count(List<(Candidate Candidate, Workload Workload)> candidates, List<(DestinationKey Destination, Workload Workload)> refused)
    {
        failures.Clear();
        failing.Clear();
        foreach ((Candidate candidate, Workload workload) in candidates)
        {
            if (DetectionEngine.IsFailure(candidate.Rule))
            {
                Add(candidate.Destination, workload);
            }
        }

        foreach ((DestinationKey destination, Workload workload) in refused)
        {
            Add(destination, workload);
        }

        failures.Sort(static (a, b) => Compare(a, b));
        for (int start = 0; start < failures.Count;)
        {
            int end = start + 1;
            int cgroups = 1;
            bool otherImage = false;
            for (; end < failures.Count && failures[end].Endpoint == failures[start].Endpoint; end++)
            {
                cgroups += failures[end].Cgroup == failures[end - 1].Cgroup ? 0 : 1;
                otherImage |= !SameImage(failures[start], failures[end]);
            }

            if (otherImage)
            {
                failing[failures[start].Endpoint] = cgroups;
            }

            start = end;
        }
    }

    /// <summary>The cgroups failing to reach the destination's endpoint, when they run more than one image.</summary>
    public int? Failing(DestinationKey destination) =>
        failing.TryGetValue(destination.WithoutCgroup, out int cgroups) ? cgroups : null;

    private void Add(DestinationKey destination, Workload workload)
    {
        if (!destination.IsLoopback)
        {
            failures.Add((destination.WithoutCgroup, destination.CgroupId, workload.Metadata?.Image));
        }
    }

    /// <summary>A cgroup without a known image counts as an image of its own.</summary>
    private static bool SameImage((DestinationKey, ulong Cgroup, string? Image) a, (DestinationKey, ulong Cgroup, string? Image) b) =>
        a.Image is null ? b.Image is null && a.Cgroup == b.Cgroup : string.Equals(a.Image, b.Image, StringComparison.Ordinal);

    /// <summary>Groups failures by endpoint, then by cgroup, so one pass counts distinct cgroups.</summary>
    private static int Compare((DestinationKey Endpoint, ulong Cgroup, string?) a, (DestinationKey Endpoint, ulong Cgroup, string?) b)
    {
        int order = a.Endpoint.RemoteAddress.CompareTo(b.Endpoint.RemoteAddress);
        if (order == 0)
        {
            order = a.Endpoint.RemotePort.CompareTo(b.Endpoint.RemotePort);
        }

        if (order == 0)
        {
            order = ((byte)a.Endpoint.Protocol).CompareTo((byte)b.Endpoint.Protocol);
        }

        if (order == 0)
        {
            order = a.Endpoint.IpVersion.CompareTo(b.Endpoint.IpVersion);
        }

        return order != 0 ? order : a.Cgroup.CompareTo(b.Cgroup);
    }
}
