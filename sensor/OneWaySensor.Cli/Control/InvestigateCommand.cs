using System.CommandLine;
using System.Globalization;
using OneWaySensor.Cli.Isolation;
using OneWaySensor.Configuration;
using OneWaySensor.Linux.Cgroups;

namespace OneWaySensor.Cli.Control;

/// <summary>
/// `onewaysensor investigate <container>`: asks the running sensor, through
/// its control socket, for what a responder needs: the container's recent
/// runtime and exec events, its destinations and flows, its recent alerts.
/// </summary>
internal static class InvestigateCommand
{
    public static Command Build()
    {
        var container = new Argument<string>("container") { Description = "a container name, id or unique id prefix (12+ hex digits), or a cgroup path" };
        var socket = ControlClient.SocketOption();
        var engineSockets = Commands.EngineSocketsOption();
        var command = new Command("investigate", "Print what the running sensor knows of a container: runtime and exec events, destinations, flows, alerts.") { container, socket, engineSockets };
        command.SetAction(async (result, cancellation) =>
        {
            string[] sockets = result.GetValue(engineSockets) is { Length: > 0 } given ? given : SensorOptions.DefaultContainerEngineSockets;
            return await ExecuteAsync(result.GetValue(container)!, result.GetValue(socket)!, sockets, cancellation);
        });
        return command;
    }

    private static async Task<int> ExecuteAsync(string argument, string controlSocket, string[] engineSockets, CancellationToken cancellation)
    {
        try
        {
            string root = CgroupDirectory.FindRoot() ?? throw new IsolationFailure("no cgroup v2 file system is mounted (none in /proc/self/mountinfo)");
            IsolationTarget target = await IsolationTarget.ResolveAsync(argument, root, engineSockets, cancellation);
            string answer = await ControlClient.AskAsync(controlSocket, $"investigate {target.Cgroup.Id.ToString(CultureInfo.InvariantCulture)}", cancellation);
            await Console.Out.WriteLineAsync(answer);
            return ControlClient.ErrorOf(answer) is null ? 0 : Program.Failure;
        }
        catch (IsolationFailure failure)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine(failure.Message));
            return failure.ExitCode;
        }
        catch (ControlUnreachable error)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine(error.Message));
            return Program.Failure;
        }
    }
}
