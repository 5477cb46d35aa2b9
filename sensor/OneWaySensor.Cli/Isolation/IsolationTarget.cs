using OneWaySensor.Containers;
using OneWaySensor.Containers.Cgroups;
using OneWaySensor.Containers.Engine;
using OneWaySensor.Linux.Cgroups;

namespace OneWaySensor.Cli.Isolation;

/// <summary>What the isolate and release commands act on: a cgroup, and the container it is, if any.</summary>
internal sealed record IsolationTarget(CgroupNode Cgroup, ContainerIdentity? Container, string? ContainerName)
{
    /// <summary>Container ids are 64 hex digits; a prefix must be at least this long to be looked up in the cgroup tree.</summary>
    public const int MinimumIdPrefix = 12;

    private static readonly TimeSpan EngineTimeout = TimeSpan.FromSeconds(5);

    /// <summary>For messages: the container's name or id, else the cgroup path.</summary>
    public string Description => Container is null
        ? $"cgroup {Cgroup.RelativePath}"
        : $"container {ContainerName ?? Container.Id[..MinimumIdPrefix]} (cgroup {Cgroup.RelativePath})";

    /// <summary>
    /// Resolves <paramref name="argument"/>: a cgroup path (it starts with /:
    /// below the v2 root, as the sensor prints it, or absolute), else a
    /// container name, id or id prefix that a Docker Engine API socket
    /// (Docker's, Podman's) knows, else an id prefix of at least 12 hex digits
    /// found in the cgroup tree (any runtime, no engine needed). A container's
    /// cgroup is the shallowest cgroup of its id: isolating it covers the ones below.
    /// </summary>
    /// <exception cref="IsolationFailure">Nothing matches, or more than one container does.</exception>
    public static async Task<IsolationTarget> ResolveAsync(string argument, string root, IReadOnlyList<string> engineSockets, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(argument);
        ArgumentNullException.ThrowIfNull(engineSockets);
        if (argument.StartsWith('/'))
        {
            CgroupNode node = CgroupNode.At(root, argument)
                ?? throw new IsolationFailure($"no cgroup at {argument} below the cgroup v2 root {root}");
            ContainerIdentity? identity = CgroupPathParser.Parse(node.RelativePath);
            string? name = identity is null ? null : (await InspectAsync(identity.Id, engineSockets, cancellation)).Metadata?.Name;
            return new IsolationTarget(node, identity, name);
        }

        if (!IsNameOrId(argument))
        {
            throw new IsolationFailure($"'{argument}' is not a container id, name or cgroup path (a cgroup path starts with /)", Program.UsageError);
        }

        (ContainerMetadata? metadata, List<string> problems) = await InspectAsync(argument, engineSockets, cancellation);
        if (metadata is not null)
        {
            CgroupNode node = FindContainerCgroups(root, id => id == metadata.Id).FirstOrDefault()
                ?? throw new IsolationFailure($"container {metadata.Name ?? metadata.Id} has no cgroup below {root}: it is not running");
            return new IsolationTarget(node, CgroupPathParser.Parse(node.RelativePath), metadata.Name);
        }

        if (argument.Length is >= MinimumIdPrefix and <= 64 && argument.All(char.IsAsciiHexDigitLower))
        {
            List<CgroupNode> found = FindContainerCgroups(root, id => id.StartsWith(argument, StringComparison.Ordinal));
            List<string> ids = found.Select(node => CgroupPathParser.Parse(node.RelativePath)!.Id).Distinct().ToList();
            if (ids.Count > 1)
            {
                throw new IsolationFailure($"'{argument}' is ambiguous: {ids.Count} containers' ids start with it");
            }

            if (found.Count == 1)
            {
                return new IsolationTarget(found[0], CgroupPathParser.Parse(found[0].RelativePath), null);
            }
        }

        string asked = problems.Count > 0 ? $"; {string.Join("; ", problems)}" : string.Empty;
        throw new IsolationFailure($"no container '{argument}' found{asked}");
    }

    /// <summary>Docker's rule for names, which also covers ids: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128.</summary>
    private static bool IsNameOrId(string text) =>
        text.Length is > 0 and <= 128 && char.IsAsciiLetterOrDigit(text[0]) && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>Asks each engine whose socket exists; the first that knows the container answers. Problems are one phrase each.</summary>
    private static async Task<(ContainerMetadata? Metadata, List<string> Problems)> InspectAsync(string nameOrId, IReadOnlyList<string> sockets, CancellationToken cancellation)
    {
        var problems = new List<string>();
        foreach (string socket in sockets.Where(File.Exists))
        {
            using var client = new DockerEngineClient(socket, requestTimeout: EngineTimeout);
            try
            {
                if (await client.InspectAsync(nameOrId, cancellation) is ContainerMetadata metadata)
                {
                    return (metadata, problems);
                }
            }
            catch (EngineUnavailableException error)
            {
                problems.Add(error.Message);
            }
        }

        return (null, problems);
    }

    /// <summary>Each container's shallowest cgroup whose id matches, shallowest first.</summary>
    private static List<CgroupNode> FindContainerCgroups(string root, Func<string, bool> matches)
    {
        var best = new Dictionary<string, CgroupNode>(StringComparer.Ordinal);
        foreach (string relative in CgroupNode.Walk(root))
        {
            if (CgroupPathParser.Parse(relative) is not ContainerIdentity identity || !matches(identity.Id))
            {
                continue;
            }

            if (best.TryGetValue(identity.Id, out CgroupNode? known) && known.Level <= relative.Count(c => c == '/'))
            {
                continue;
            }

            if (CgroupNode.At(root, relative) is CgroupNode node)
            {
                best[identity.Id] = node;
            }
        }

        return best.Values.OrderBy(node => node.Level).ToList();
    }
}
