using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The sidecar export of the real sensor: a reading client decoding with an
/// independent MessagePack library (python3-msgpack) receives every record,
/// in order, with the JSON lines' keys and values; a client that stops
/// reading is cut loose with its drop count, and the sensor's memory stays
/// bounded; `onewaysensor tail` prints the same records as stdout.
/// </summary>
[Collection(KernelTestGroup.Name)]
public sealed class ExportEndToEndTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("ows-export-e2e-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [SkippableFact]
    public void A_reading_client_gets_every_record_while_a_stalled_one_is_cut_loose()
    {
        Requirements.Root();
        Requirements.Built();
        ExportReader.Require();
        string socketPath = Path.Combine(folder, "export.sock");
        using var sensor = SensorProcess.Start(
            "run", "--no-engine", "--host-process-events", "--poll-interval", "200", "--export", $"unix:{socketPath}",
            "--set", "Sensor:Export:ClientBufferBytes=1048576", "--set", "Sensor:Export:StallTimeoutSeconds=3", "--set", "Sensor:HealthSeconds=1");
        sensor.WaitForLog("sensor ready", TimeSpan.FromSeconds(30));
        Assert.Equal("660", ProcessRunner.Run("stat", ["-c", "%a", socketPath]).Stdout.Trim());

        using ExportReader reader = ExportReader.Connect(socketPath);
        using Process tail = StartTail(socketPath, count: 200);

        // drained from the start: a client blocked on its own stdout would stall like the stalled one
        Task<string> tailOutput = tail.StandardOutput.ReadToEndAsync();
        using var stalled = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveBufferSize = 4096 };
        stalled.Connect(new UnixDomainSocketEndPoint(socketPath));
        sensor.WaitUntil(() => SensorOutput.Status(sensor).GetProperty("export_clients").GetInt32() == 3, TimeSpan.FromSeconds(15), "three export clients");
        long residentBefore = sensor.ResidentBytes();

        // a burst of records, more than the stalled client's buffer and socket hold (about 300 bytes each):
        // 8000 processes, an exec and an exit record each; the reader's 1 MiB buffer absorbs its pauses
        ProcessResult burst = ProcessRunner.Run("/bin/sh", ["-c", "i=0; while [ $i -lt 8000 ]; do /bin/true; i=$((i+1)); done"], TimeSpan.FromSeconds(180));
        Assert.Equal(0, burst.ExitCode);
        sensor.WaitForLog("cut loose: its buffer stayed full for 3 s", TimeSpan.FromSeconds(30));
        long residentAfter = sensor.ResidentBytes();
        JsonElement status = SensorOutput.Status(sensor);
        Assert.Equal(1, status.GetProperty("export_clients_cut_loose_total").GetInt32());
        Assert.True(status.GetProperty("sink_records_lost_total").GetProperty("export").GetInt64() > 0, "what the stalled client missed is counted");

        Assert.Equal(0, sensor.Terminate(TimeSpan.FromSeconds(20)));
        List<JsonNode> decoded = reader.Records(TimeSpan.FromSeconds(20));

        // every record from the first the reader saw to the last the sensor wrote, in order, none missed
        Dictionary<long, JsonNode> written = sensor.Stdout.Select(line => JsonNode.Parse(line)!).ToDictionary(record => (long)record["seq"]!);
        Assert.DoesNotContain(decoded, record => record["seq"] is null);
        List<long> seqs = [.. decoded.Select(record => (long)record["seq"]!)];
        Assert.Equal(Range(seqs[0], written.Keys.Max()), seqs);
        Assert.True(decoded.Count(record => ((string?)record["kind"])?.StartsWith("process_", StringComparison.Ordinal) == true) >= 16_000, "the burst went through the reading client");

        // each a plain map with exactly the keys and values of its JSON line
        foreach (JsonNode record in decoded)
        {
            Assert.True(JsonNode.DeepEquals(written[(long)record["seq"]!], record), $"record {record["seq"]} differs from its JSON line");
        }

        // the stalled client had its buffer and the socket's, then the stream ended
        stalled.ReceiveTimeout = 10_000;
        long stalledBytes = 0;
        var chunk = new byte[65536];
        int read;
        while ((read = stalled.Receive(chunk)) > 0)
        {
            stalledBytes += read;
        }

        Assert.True(stalledBytes < 2 * 1024 * 1024 + 512 * 1024, $"a stalled client gets at most its buffer and the socket's, got {stalledBytes} bytes");
        Assert.True(residentAfter - residentBefore < 64L * 1024 * 1024, $"the sensor's memory grew by {residentAfter - residentBefore} bytes over the burst");

        // tail printed the same records as stdout, as JSON lines
        Assert.True(tail.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, tail.ExitCode);
        string[] tailed = tailOutput.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(200, tailed.Length);
        foreach (string line in tailed)
        {
            JsonNode record = JsonNode.Parse(line)!;
            Assert.True(JsonNode.DeepEquals(written[(long)record["seq"]!], record));
        }

        Assert.False(File.Exists(socketPath), "the socket file is removed at stop");
    }

    [SkippableFact]
    public void A_socket_path_that_is_not_a_socket_fails_start_up_with_one_line_and_is_left_alone()
    {
        Requirements.Root();
        Requirements.Built();
        string path = Path.Combine(folder, "not-a-socket");
        File.WriteAllText(path, "precious");
        ProcessResult result = ProcessRunner.Run(RepoPaths.SensorBinary, ["run", "--no-engine", "--export", $"unix:{path}", "--state", string.Empty, "--duration", "5"]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"onewaysensor: the export socket path {path} exists and is not a socket", result.Stderr.Trim());
        Assert.Equal("precious", File.ReadAllText(path));
    }

    private static Process StartTail(string socketPath, int count)
    {
        var start = new ProcessStartInfo(RepoPaths.SensorBinary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "tail", $"unix:{socketPath}", "--count", count.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static List<long> Range(long first, long last)
    {
        var all = new List<long>();
        for (long seq = first; seq <= last; seq++)
        {
            all.Add(seq);
        }

        return all;
    }
}
