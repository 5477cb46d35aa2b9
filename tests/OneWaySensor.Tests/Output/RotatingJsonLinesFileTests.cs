using System.Text;
using OneWaySensor.Cli.Output;

namespace OneWaySensor.Tests.Output;

/// <summary>Size-based rotation: whole lines, the newest in FILE, at most KEEP older files, failures counted.</summary>
public sealed class RotatingJsonLinesFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("ows-rotate-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Files_rotate_by_size_keep_whole_lines_and_drop_the_oldest()
    {
        string path = Path.Combine(folder, "out.jsonl");
        using (RotatingJsonLinesFile file = RotatingJsonLinesFile.Open("output_file", path, maxBytes: 4096, keep: 3, _ => true))
        {
            for (int seq = 1; seq <= 200; seq++)
            {
                file.Write(RecordKind.ProcessEvent, Line(seq), seq);
            }

            Assert.True(file.Rotations >= 3);
            Assert.Equal(0, file.Lost);
        }

        Assert.False(File.Exists($"{path}.4"), "only three rotated files are kept");
        string[] generations = [$"{path}.3", $"{path}.2", $"{path}.1", path];
        var seqs = new List<int>();
        foreach (string generation in generations)
        {
            Assert.True(new FileInfo(generation).Length <= 4096, $"{generation} is within the size");
            seqs.AddRange(File.ReadAllLines(generation).Select(line => int.Parse(line[7..line.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture)));
        }

        // oldest to newest, consecutive, ending at the last record: nothing lost or reordered in what was kept
        Assert.Equal(Enumerable.Range(seqs[0], seqs.Count), seqs);
        Assert.Equal(200, seqs[^1]);
    }

    [Fact]
    public void A_file_for_alerts_takes_only_alerts()
    {
        string path = Path.Combine(folder, "alerts.jsonl");
        using (RotatingJsonLinesFile file = RotatingJsonLinesFile.Open("alerts_file", path, 1 << 20, 5, kind => kind == RecordKind.Alert))
        {
            file.Write(RecordKind.ProcessEvent, Line(1), 1);
            file.Write(RecordKind.Alert, Line(2), 2);
        }

        Assert.Equal(Encoding.UTF8.GetString(Line(2)), File.ReadAllText(path));
    }

    [Fact]
    public void A_path_that_cannot_be_opened_is_one_line_naming_it()
    {
        string blocker = Path.Combine(folder, "a-file");
        File.WriteAllText(blocker, string.Empty);
        string path = Path.Combine(blocker, "out.jsonl");
        var error = Assert.Throws<IOException>(() => RotatingJsonLinesFile.Open("output_file", path, 4096, 1, _ => true));
        Assert.StartsWith($"cannot open the output file {path}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_write_the_device_refuses_is_counted_with_its_reason_and_the_next_record_tries_again()
    {
        // /dev/full refuses every write with ENOSPC, as a full disk does
        using RotatingJsonLinesFile file = RotatingJsonLinesFile.Open("alerts_file", "/dev/full", 1 << 20, 1, _ => true);
        file.Write(RecordKind.Alert, Line(1), 1);
        file.Write(RecordKind.Alert, Line(2), 2);

        Assert.Equal(2, file.Lost);
        Assert.Contains("No space left on device", file.LastError, StringComparison.Ordinal);
    }

    private static byte[] Line(int seq) => Encoding.UTF8.GetBytes($"{{\"seq\":{seq},\"kind\":\"process_exec\",\"pad\":\"{new string('p', 100)}\"}}\n");
}
