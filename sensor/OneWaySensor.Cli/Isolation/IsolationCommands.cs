using System.Buffers;
using System.CommandLine;
using OneWaySensor.Configuration;
using OneWaySensor.Linux;
using OneWaySensor.Linux.Cgroups;
using OneWaySensor.Linux.Isolation;

namespace OneWaySensor.Cli.Isolation;

/// <summary>
/// <c>onewaysensor isolate CONTAINER</c> and <c>onewaysensor release CONTAINER</c>:
/// the ADS's response "isolate the container". They change the deny set the
/// running sensor pinned at <see cref="DenySet.PinDirectory"/>: from then on
/// the sensor's cgroup_skb programs drop every IP packet the container's
/// cgroup (and any cgroup below it) sends or receives. Each prints one JSON
/// line on stdout (<see cref="IsolationJsonWriter"/>); each error is one line
/// on stderr, exit 1, or 2 for a usage error.
/// </summary>
internal static class IsolationCommands
{
    /// <summary>Adds both commands to the command line.</summary>
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Subcommands.Add(Isolate());
        root.Subcommands.Add(Release());
    }

    public static Command Isolate() => Build(
        "isolate",
        "Drop every packet a container sends or receives (the running sensor enforces it; it lasts across sensor restarts until released).",
        release: false);

    public static Command Release() => Build(
        "release",
        "Let an isolated container's packets pass again.",
        release: true);

    private static Command Build(string name, string description, bool release)
    {
        var container = new Argument<string>("container")
        {
            Description = "a container name, id or unique id prefix (12+ hex digits), or a cgroup path (/docker/ID below the cgroup v2 root, or absolute)",
        };
        var engineSockets = Commands.EngineSocketsOption();
        var noEngine = new Option<bool>("--no-engine") { Description = "ask no container engine: give a container id prefix or a cgroup path" };
        var command = new Command(name, description) { container, engineSockets, noEngine };
        command.SetAction(async (result, cancellation) =>
        {
            string[] sockets = result.GetValue(noEngine) ? [] : result.GetValue(engineSockets) is { Length: > 0 } given ? given : SensorOptions.DefaultContainerEngineSockets;
            return await ExecuteAsync(name, result.GetValue(container)!, sockets, release, cancellation);
        });
        return command;
    }

    private static async Task<int> ExecuteAsync(string verb, string argument, string[] sockets, bool release, CancellationToken cancellation)
    {
        try
        {
            await ChangeAsync(verb, argument, sockets, release, cancellation);
            return 0;
        }
        catch (IsolationFailure failure)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine(failure.Message));
            return failure.ExitCode;
        }
        catch (SensorException failure)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine(failure.Message));
            return Program.Failure;
        }
        catch (DllNotFoundException)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine("libonewaysensor.so was not found beside the onewaysensor binary: build it with make"));
            return Program.Failure;
        }
    }

    private static async Task ChangeAsync(string verb, string argument, string[] sockets, bool release, CancellationToken cancellation)
    {
        string? missing = Preflight.MissingCapability(await File.ReadAllTextAsync("/proc/self/status", cancellation));
        if (!Environment.IsPrivilegedProcess || missing is not null)
        {
            string lacking = missing is null ? string.Empty : $" (missing {missing})";
            throw new IsolationFailure($"{verb} needs root{lacking}: it changes the sensor's deny set, pinned at {DenySet.PinDirectory}");
        }

        string root = CgroupDirectory.FindRoot()
            ?? throw new IsolationFailure("no cgroup v2 file system is mounted (none in /proc/self/mountinfo)");
        using DenySet set = DenySet.OpenPinned();
        if (!release && set.Enforcers() == 0)
        {
            throw new IsolationFailure($"no sensor is running: the deny set is pinned at {DenySet.PinDirectory}, but no loaded program enforces it (start onewaysensor run)");
        }

        IsolationTarget target = await IsolationTarget.ResolveAsync(argument, root, sockets, cancellation);
        CgroupNode cgroup = target.Cgroup;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        IsolationChange change;
        if (release)
        {
            IsolationEntry last = set.Remove(cgroup.Id)
                ?? throw new IsolationFailure($"{target.Description} is not isolated");
            change = new IsolationChange(IsolationAction.Release, IsolationReason.Requested, cgroup.Id, cgroup.RelativePath, now, last.IsolatedSince, last.EgressDropped, last.IngressDropped);
        }
        else
        {
            RefuseOwnCgroup(target);
            if (cgroup.Level >= DenySet.MaxLevel)
            {
                throw new IsolationFailure($"{target.Description} is {cgroup.Level} levels deep; the sensor isolates cgroups up to {DenySet.MaxLevel - 1} levels deep");
            }

            bool added = set.Add(cgroup.Id, cgroup.Level, now);
            IsolationEntry? entry = added ? null : Find(set, cgroup.Id);
            change = new IsolationChange(
                IsolationAction.Isolate,
                added ? IsolationReason.Requested : IsolationReason.AlreadyIsolated,
                cgroup.Id,
                cgroup.RelativePath,
                now,
                entry?.IsolatedSince ?? now,
                entry?.EgressDropped ?? 0,
                entry?.IngressDropped ?? 0);
        }

        var line = new ArrayBufferWriter<byte>(512);
        IsolationJsonWriter.Write(change, target.Container, target.ContainerName, line);
        line.Write("\n"u8);
        using Stream stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(line.WrittenMemory, cancellation);
        await stdout.FlushAsync(cancellation);
    }

    private static IsolationEntry? Find(DenySet set, ulong cgroupId)
    {
        var entries = new List<IsolationEntry>();
        set.Read(entries);
        return entries.Find(entry => entry.CgroupId == cgroupId) is { CgroupId: not 0 } found ? found : null;
    }

    /// <summary>Isolating the cgroup this command runs in (or one above it) would cut off the operator's own session.</summary>
    private static void RefuseOwnCgroup(IsolationTarget target)
    {
        string? own = File.ReadLines("/proc/self/cgroup").FirstOrDefault(line => line.StartsWith("0::", StringComparison.Ordinal))?[3..];
        string path = target.Cgroup.RelativePath;
        if (own is not null && (own == path || own.StartsWith(path + "/", StringComparison.Ordinal)))
        {
            throw new IsolationFailure($"refusing to isolate {target.Description}: this command runs in it ({own}), and so may the session that runs it");
        }
    }
}
