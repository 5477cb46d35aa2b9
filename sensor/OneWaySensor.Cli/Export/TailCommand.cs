using System.Buffers;
using System.CommandLine;
using System.Net.Sockets;
using OneWaySensor.Configuration;
using OneWaySensor.Output;

namespace OneWaySensor.Cli.Export;

/// <summary>
/// `onewaysensor tail unix:PATH`: a sidecar client of the export socket that
/// prints each record as a JSON line. The stream is read as untrusted input
/// (bounded record size and depth, string keys, UTF-8 checked).
/// </summary>
internal static class TailCommand
{
    public static Command Build()
    {
        var address = new Argument<string>("address") { Description = "the export socket, as unix:PATH" };
        var count = Commands.Bounded("--count", "stop after this many records (default: until the stream ends)", 1, int.MaxValue);
        var command = new Command("tail", "Read the sensor's MessagePack export stream and print each record as a JSON line.") { address, count };
        command.SetAction(async (result, cancellation) => await RunAsync(result.GetValue(address)!, result.GetValue(count), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(string address, int? count, CancellationToken cancellation)
    {
        if (ExportOptions.ParseAddress(address) is not string path)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine($"the export address must be unix:/ABSOLUTE/PATH, at most {UnixSocketPath.MaxBytes} bytes, got '{address}'"));
            return Program.UsageError;
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation);
        }
        catch (SocketException error)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine($"cannot connect to the export socket {path}: {error.Message}"));
            return Program.Failure;
        }

        using Stream stdout = Console.OpenStandardOutput();
        var received = new byte[1 << 16];
        var pending = new ArrayBufferWriter<byte>(1 << 16);
        var json = new ArrayBufferWriter<byte>(1 << 16);
        long printed = 0;
        try
        {
            while (count is null || printed < count)
            {
                int read = await socket.ReceiveAsync(received, SocketFlags.None, cancellation);
                if (read == 0)
                {
                    await Console.Error.WriteLineAsync(Program.ErrorLine($"the export stream ended after {printed} records"));
                    return pending.WrittenCount == 0 ? 0 : Program.Failure;
                }

                pending.Write(received.AsSpan(0, read));
                long consumed = 0;
                json.ResetWrittenCount();
                while ((count is null || printed < count) &&
                       MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(pending.WrittenMemory[(int)consumed..]), json, out long length))
                {
                    json.Write("\n"u8);
                    consumed += length;
                    printed++;
                }

                stdout.Write(json.WrittenSpan);
                stdout.Flush();
                Keep(pending, (int)consumed);
            }

            return 0;
        }
        catch (InvalidDataException error)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine($"the export stream is malformed after {printed} records: {error.Message}"));
            return Program.Failure;
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
        catch (SocketException error)
        {
            await Console.Error.WriteLineAsync(Program.ErrorLine($"the export stream failed after {printed} records: {error.Message}"));
            return Program.Failure;
        }
    }

    /// <summary>Drops the converted records, keeping the start of an incomplete one.</summary>
    private static void Keep(ArrayBufferWriter<byte> pending, int consumed)
    {
        if (consumed == 0)
        {
            return;
        }

        byte[] rest = pending.WrittenSpan[consumed..].ToArray();
        pending.ResetWrittenCount();
        pending.Write(rest);
    }
}
