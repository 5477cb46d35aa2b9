using System.Buffers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OneWaySensor.Cli.Export;
using OneWaySensor.Configuration;
using OneWaySensor.Output;

namespace OneWaySensor.Tests.Output;

/// <summary>The export socket in process, no kernel needed: fan-out, bounded client buffers, missed-record notices, cutting a stalled client loose.</summary>
public sealed class ExportServerTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("ows-export-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task A_reading_client_gets_every_record_in_order_while_a_stalled_one_is_cut_loose()
    {
        var cut = new List<long>();
        var options = new ExportOptions { Socket = Path.Combine(folder, "export.sock"), ClientBufferBytes = 64 * 1024, StallTimeoutSeconds = 1 };
        using ExportServer server = ExportServer.Listen(options, client => cut.Add(client.Missed));
        using Socket reader = Connect(options.Socket);
        using Socket stalled = Connect(options.Socket, receiveBuffer: 4096);
        WaitFor(() => server.Clients == 2);

        const int Records = 10_000;
        var received = new List<string>();
        // a thread of its own, like a sidecar's: a blocked pool thread would starve the senders
        Task reading = Task.Factory.StartNew(() => received.AddRange(new RecordReader(reader).Read(Records, 10_000)), TaskCreationOptions.LongRunning);
        string padding = new('x', 200);

        // the writer on a thread of its own, as the sensor's output pipeline is
        await Task.Factory.StartNew(
            () =>
            {
                for (int seq = 1; seq <= Records; seq++)
                {
                    server.Write(Encoding.UTF8.GetBytes($"{{\"seq\":{seq},\"kind\":\"test\",\"pad\":\"{padding}\"}}\n"));
                    if (seq % 50 == 0)
                    {
                        Thread.Sleep(10); // a pace the reading client keeps up with; the stalled one stays full past its timeout
                    }
                }
            },
            TaskCreationOptions.LongRunning);

        await reading.WaitAsync(TimeSpan.FromSeconds(60)); // the reading client takes what it is sent until 10 s of quiet
        Assert.Equal(Enumerable.Range(1, Records), received.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("seq").GetInt32()));

        // the stalled client was cut loose with what it missed counted, its buffer (not the sensor's memory) the bound
        Assert.Equal(1, server.ClientsCutLoose);
        long missed = Assert.Single(cut);
        Assert.True(missed > 0);
        Assert.True(server.Lost >= missed);
        Assert.Equal(1, server.Clients);
        stalled.ReceiveTimeout = 5000;
        long bytes = Drain(stalled);
        Assert.True(bytes < options.ClientBufferBytes + 1024 * 1024, $"the stalled client had at most its buffer and the socket's: {bytes} bytes");
    }

    [Fact]
    public void A_slow_client_that_catches_up_is_told_how_many_records_it_missed()
    {
        var options = new ExportOptions { Socket = Path.Combine(folder, "export.sock"), ClientBufferBytes = 64 * 1024, StallTimeoutSeconds = 3600 };
        using ExportServer server = ExportServer.Listen(options, _ => { });
        using Socket slow = Connect(options.Socket, receiveBuffer: 4096);
        WaitFor(() => server.Clients == 1);

        string padding = new('y', 500);
        for (int seq = 1; seq <= 2000; seq++)
        {
            server.Write(Encoding.UTF8.GetBytes($"{{\"seq\":{seq},\"pad\":\"{padding}\"}}\n"));
        }

        Assert.True(server.Lost > 0, "the buffer overflowed");
        // every record not lost is read, so the client's buffer is empty; counted, not waited
        // for by a quiet spell, which a loaded machine's writer can outlast
        long kept = 2000 - server.Lost;
        var stream = new RecordReader(slow);
        var first = new List<string>();
        for (long read = 0; read < kept && stream.Read(1, 30_000) is [string record];)
        {
            first.Add(record);
            read += JsonDocument.Parse(record).RootElement.TryGetProperty("seq", out _) ? 1 : 0;
        }

        // room again: the next record is preceded by a notice of what was missed since the last one
        server.Write(Encoding.UTF8.GetBytes("{\"seq\":2001}\n"));
        List<string> after = stream.Read(2, 30_000);
        Assert.Equal("export_client", JsonDocument.Parse(after[0]).RootElement.GetProperty("scope").GetString());
        Assert.Equal(2001, JsonDocument.Parse(after[1]).RootElement.GetProperty("seq").GetInt32());

        List<JsonElement> all = [.. first.Concat(after).Select(line => JsonDocument.Parse(line).RootElement)];
        List<JsonElement> notices = [.. all.Where(record => record.TryGetProperty("kind", out JsonElement kind) && kind.GetString() == "health")];
        List<int> delivered = [.. all.Where(record => record.TryGetProperty("seq", out _)).Select(record => record.GetProperty("seq").GetInt32())];
        Assert.Equal(delivered.Order(), delivered);
        Assert.Equal(2001, delivered.Count + server.Lost);
        Assert.Equal(server.Lost, notices.Sum(notice => notice.GetProperty("missed").GetInt64()));
        Assert.Equal(server.Lost, notices[^1].GetProperty("missed_total").GetInt64());
    }

    [Fact]
    public void A_path_that_is_not_a_socket_is_refused_with_one_line()
    {
        string path = Path.Combine(folder, "plain-file");
        File.WriteAllText(path, "keep me");
        var error = Assert.Throws<IOException>(() => ExportServer.Listen(new ExportOptions { Socket = path }, _ => { }));
        Assert.Equal($"the export socket path {path} exists and is not a socket", error.Message);
        Assert.Equal("keep me", File.ReadAllText(path));
    }

    [Fact]
    public void The_socket_is_mode_0660_with_the_configured_group_and_clients_beyond_the_limit_are_refused()
    {
        var options = new ExportOptions { Socket = Path.Combine(folder, "export.sock"), SocketGroup = Environment.IsPrivilegedProcess ? "12345" : null, MaxClients = 1 };
        using ExportServer server = ExportServer.Listen(options, _ => { });
        string[] modeAndGroup = Support.ProcessRunner.Run("stat", ["-c", "%a %g", options.Socket]).Stdout.Trim().Split(' ');
        Assert.Equal("660", modeAndGroup[0]);
        if (Environment.IsPrivilegedProcess)
        {
            Assert.Equal("12345", modeAndGroup[1]); // only root may give a file a group it is not in
        }

        using Socket first = Connect(options.Socket);
        WaitFor(() => server.Clients == 1);
        using Socket second = Connect(options.Socket);
        WaitFor(() => server.ClientsRefused == 1);
        second.ReceiveTimeout = 5000;
        Assert.Equal(0, second.Receive(new byte[16])); // closed at once
    }

    [Fact]
    public void An_unknown_group_is_refused_with_one_line()
    {
        var error = Assert.Throws<IOException>(() => ExportServer.Listen(new ExportOptions { Socket = Path.Combine(folder, "export.sock"), SocketGroup = "no-such-group-ows" }, _ => { }));
        Assert.Equal("the export socket's group 'no-such-group-ows' does not exist", error.Message);
    }

    private static Socket Connect(string path, int receiveBuffer = 0)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        if (receiveBuffer > 0)
        {
            socket.ReceiveBufferSize = receiveBuffer;
        }

        socket.Connect(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    private static List<string> ReadRecords(Socket socket, int count) => new RecordReader(socket).Read(count, 30_000);

    private static long Drain(Socket socket)
    {
        long total = 0;
        var chunk = new byte[65536];
        int read;
        while ((read = socket.Receive(chunk)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static void WaitFor(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            Thread.Sleep(20);
        }
    }

    /// <summary>Records off the socket, converted with the sensor's own reader (the kernel test decodes with an independent one).</summary>
    private sealed class RecordReader(Socket socket)
    {
        private byte[] buffer = new byte[1 << 20];
        private int filled;

        /// <summary>Up to <paramref name="count"/> records; fewer when the socket stays quiet for <paramref name="timeoutMilliseconds"/>.</summary>
        public List<string> Read(int count, int timeoutMilliseconds)
        {
            socket.ReceiveTimeout = timeoutMilliseconds;
            var records = new List<string>(count);
            var json = new ArrayBufferWriter<byte>();
            while (true)
            {
                int offset = 0;
                while (records.Count < count && MessagePackToJson.TryConvert(new ReadOnlySequence<byte>(buffer, offset, filled - offset), json, out long length))
                {
                    records.Add(Encoding.UTF8.GetString(json.WrittenSpan));
                    json.ResetWrittenCount();
                    offset += (int)length;
                }

                Buffer.BlockCopy(buffer, offset, buffer, 0, filled - offset);
                filled -= offset;
                if (records.Count == count)
                {
                    return records;
                }

                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                int read;
                try
                {
                    read = socket.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
                }
                catch (SocketException error) when (error.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
                {
                    return records;
                }

                if (read == 0)
                {
                    return records;
                }

                filled += read;
            }
        }
    }
}
