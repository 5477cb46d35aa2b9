using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OneWaySensor.Configuration;

namespace OneWaySensor.Cli.Control;

/// <summary>Asks the running sensor one question on its control socket; the answer is one JSON document.</summary>
internal static class ControlClient
{
    private const int MaxAnswerChars = 16 << 20;

    /// <summary>The `--control-socket` option of every command that asks the running sensor.</summary>
    public static Option<string> SocketOption()
    {
        var option = new Option<string>("--control-socket")
        {
            Description = $"the running sensor's control socket (default {SensorOptions.DefaultControlSocket})",
            DefaultValueFactory = _ => SensorOptions.DefaultControlSocket,
        };
        option.Validators.Add(result =>
        {
            if (UnixSocketPath.Problem(result.GetValueOrDefault<string>()) is string problem)
            {
                result.AddError($"--control-socket {problem}");
            }
        });
        return option;
    }

    /// <exception cref="ControlUnreachable">No sensor answers on <paramref name="path"/>.</exception>
    public static async Task<string> AskAsync(string path, string request, CancellationToken cancellation)
    {
        try
        {
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation);
            await client.SendAsync(Encoding.UTF8.GetBytes(request + "\n"), SocketFlags.None, cancellation);
            using var stream = new NetworkStream(client, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var answer = new StringBuilder();
            var chunk = new char[8192];
            int read;
            while ((read = await reader.ReadAsync(chunk, cancellation)) > 0)
            {
                if (answer.Length + read > MaxAnswerChars)
                {
                    throw new ControlUnreachable($"the answer on the control socket {path} is longer than {MaxAnswerChars} characters");
                }

                answer.Append(chunk, 0, read);
            }

            return answer.ToString().TrimEnd('\n');
        }
        catch (Exception error) when (error is SocketException or IOException)
        {
            throw new ControlUnreachable($"no sensor answers on the control socket {path} (start onewaysensor run, as root): {error.Message}");
        }
    }

    /// <summary>
    /// True for what reading an answer of another shape throws (a sensor of
    /// another version, a damaged answer): not JSON, a member missing or of
    /// another type. The commands say so in one line.
    /// </summary>
    public static bool IsUnreadableAnswer(Exception error) =>
        error is JsonException or KeyNotFoundException or InvalidOperationException or FormatException;

    /// <summary>The error a sensor answered with, or null.</summary>
    public static string? ErrorOf(string answer)
    {
        if (!answer.StartsWith("{\"error\"", StringComparison.Ordinal))
        {
            return null;
        }

        using var document = JsonDocument.Parse(answer);
        return document.RootElement.GetProperty("error").GetString();
    }
}

/// <summary>The control socket cannot be reached or answered nonsense: one line for the user.</summary>
internal sealed class ControlUnreachable(string message) : Exception(message);
