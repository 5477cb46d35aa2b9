using System.Net;

namespace OneWaySensor.Detection;

/// <summary>
/// One allowlist entry: every field set must match (unset fields match
/// anything); an entry with no field at all is refused. Globs take '*'.
/// </summary>
public sealed class AllowlistEntry
{
    /// <summary>Why it is allowed, for the suppression counters and the reader of the config.</summary>
    public string? Reason { get; set; }

    /// <summary>Image name glob, e.g. "fluent/fluent-bit*".</summary>
    public string? Image { get; set; }

    /// <summary>Container name glob.</summary>
    public string? ContainerName { get; set; }

    /// <summary>A label as "key=value" (value may be a glob) or "key" (present).</summary>
    public string? Label { get; set; }

    /// <summary>The sending process's comm, glob.</summary>
    public string? Process { get; set; }

    /// <summary>Destination address range, CIDR ("10.0.0.0/8", "2001:db8::/32") or one address.</summary>
    public string? RemoteCidr { get; set; }

    public int? RemotePort { get; set; }

    /// <summary>Rules it applies to; empty means all.</summary>
    public List<string> Rules { get; set; } = [];

    private IPNetwork? network;

    /// <summary>The first problem as "<paramref name="path"/>:Key: problem", or null.</summary>
    public string? Validate(string path)
    {
        if (Image is null && ContainerName is null && Label is null && Process is null && RemoteCidr is null && RemotePort is null)
        {
            return $"{path}: an allowlist entry must set at least one of Image, ContainerName, Label, Process, RemoteCidr, RemotePort";
        }

        if (RemotePort is < 0 or > 65535)
        {
            return $"{path}:RemotePort: must be between 0 and 65535, got {RemotePort}";
        }

        if (RemoteCidr is not null)
        {
            string cidr = RemoteCidr.Contains('/', StringComparison.Ordinal) ? RemoteCidr
                : IPAddress.TryParse(RemoteCidr, out IPAddress? single) ? $"{RemoteCidr}/{(single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32)}"
                : RemoteCidr;
            if (!IPNetwork.TryParse(cidr, out IPNetwork parsed))
            {
                return $"{path}:RemoteCidr: not an address range: '{RemoteCidr}'";
            }

            network = parsed;
        }

        return RuleIds.Unknown(Rules) is string unknown ? $"{path}:Rules: unknown rule '{unknown}'" : null;
    }

    public bool Matches(string rule, AlertSubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return (Rules.Count == 0 || Rules.Contains(rule))
            && (Image is null || Glob.Matches(Image, subject.Image))
            && (ContainerName is null || Glob.Matches(ContainerName, subject.ContainerName))
            && (Label is null || LabelMatches(subject.Labels))
            && (Process is null || Glob.Matches(Process, subject.Process))
            && (RemotePort is null || RemotePort == subject.RemotePort)
            && (network is null || (subject.RemoteAddress is not null && network.Value.Contains(subject.RemoteAddress)));
    }

    private bool LabelMatches(IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null)
        {
            return false;
        }

        int equals = Label!.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            return labels.ContainsKey(Label);
        }

        return labels.TryGetValue(Label[..equals], out string? value) && Glob.Matches(Label[(equals + 1)..], value);
    }
}
