namespace OneWaySensor.Tests.Support;

/// <summary>
/// A small tmpfs of the test's own, mounted on a temporary folder, that the
/// test fills to the last page and frees again. Unmounted (lazily, should a
/// file still be open in it) and removed on dispose, however the test ends.
/// </summary>
internal sealed class SmallTmpfs : IDisposable
{
    private readonly string filler;

    private SmallTmpfs(string path)
    {
        Path = path;
        filler = System.IO.Path.Combine(path, "filler");
    }

    public string Path { get; }

    public static SmallTmpfs Mount(int kibibytes)
    {
        Requirements.Root();
        Requirements.Tool("mount");
        string path = Directory.CreateTempSubdirectory("ows-small-disk-").FullName;
        ProcessResult mount = ProcessRunner.Run("mount", ["-t", "tmpfs", "-o", $"size={kibibytes}k,mode=0700", "tmpfs", path]);
        if (mount.ExitCode != 0)
        {
            Directory.Delete(path);
            Assert.Fail($"mount -t tmpfs failed: {mount.Stderr}");
        }

        return new SmallTmpfs(path);
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Takes every free page with a filler file; returns how many bytes it took.</summary>
    public long Fill()
    {
        var chunk = new byte[4096];
        using var file = new FileStream(filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 1);
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: full
        }

        return file.Length;
    }

    /// <summary>Gives the filler's pages back.</summary>
    public void Free() => System.IO.File.Delete(filler);

    public void Dispose()
    {
        if (ProcessRunner.Run("umount", [Path]).ExitCode != 0)
        {
            ProcessRunner.Run("umount", ["-l", Path]);
        }

        Directory.Delete(Path, recursive: true);
    }
}
