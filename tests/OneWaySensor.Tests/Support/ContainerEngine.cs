
namespace OneWaySensor.Tests.Support;

/// <summary>
/// A real container engine driven through its CLI (docker, or podman with
/// the limits it needs here), with a busybox image the fixture builds from
/// the busybox-static package, since no registry can be reached. Everything
/// it creates carries a unique name and is removed on dispose.
/// </summary>
internal sealed class ContainerEngine : IDisposable
{
    private static readonly string[] Applets = ["sh", "sleep", "wget", "nc", "httpd", "nslookup", "echo", "cat", "ls", "timeout"];
    private readonly List<string> containers = [];
    private readonly string cli;
    private readonly string[] daemon;
    private readonly string[] runLimits;

    private ContainerEngine(string cli, string[] daemon, string image, string[] runLimits)
    {
        this.cli = cli;
        this.daemon = daemon;
        Image = image;
        this.runLimits = runLimits;
    }

    public string Image { get; }

    public string Cli => cli;

    /// <summary>Docker, if dockerd answers; the image is imported under a unique tag.</summary>
    public static ContainerEngine Docker()
    {
        Requirements.Root();
        Requirements.Require(RepoPaths.FindOnPath("docker") is not null && ProcessRunner.Run("docker", ["info"], TimeSpan.FromSeconds(30)).ExitCode == 0, "needs a running Docker engine (dockerd)");
        return Create("docker", [], []);
    }

    /// <summary>Docker, through a daemon of the test's own; the image is imported into it.</summary>
    public static ContainerEngine Docker(PrivateDockerDaemon daemon)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        return Create("docker", ["--host", daemon.Host], []);
    }

    /// <summary>Podman, rootful, with the rlimits its runtime needs on this machine.</summary>
    public static ContainerEngine Podman()
    {
        Requirements.Root();
        Requirements.Require(RepoPaths.FindOnPath("podman") is not null, "needs podman");
        return Create("podman", [], ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]);
    }

    private static ContainerEngine Create(string cli, string[] daemon, string[] runLimits)
    {
        Requirements.Require(File.Exists("/bin/busybox"), "needs busybox-static for the test image");
        string image = $"ows-test-busybox:{Guid.NewGuid().ToString("N")[..10]}";
        string rootfs = Directory.CreateTempSubdirectory("ows-rootfs-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
            Directory.CreateDirectory(Path.Combine(rootfs, "tmp"));
            File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
            foreach (string applet in Applets)
            {
                File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
            }

            string tarball = Path.Combine(rootfs, "..", Path.GetFileName(rootfs) + ".tar");
            ProcessRunner.Expect(ProcessRunner.Run("tar", ["-C", rootfs, "-cf", tarball, "."]), "tar");
            ProcessRunner.Expect(ProcessRunner.Run(cli, [.. daemon, "import", tarball, image], TimeSpan.FromSeconds(120)), $"{cli} import");
            File.Delete(tarball);
        }
        finally
        {
            Directory.Delete(rootfs, recursive: true);
        }

        return new ContainerEngine(cli, daemon, image, runLimits);
    }

    /// <summary>A unique container name, removed on dispose.</summary>
    public string Name(string purpose)
    {
        string name = $"ows-test-{purpose}-{Guid.NewGuid().ToString("N")[..8]}";
        containers.Add(name);
        return name;
    }

    /// <summary>docker run -d; returns the container's full id.</summary>
    public string RunDetached(string name, string[] options, params string[] command) =>
        ProcessRunner.Expect(Run(["run", "-d", .. runLimits, "--name", name, .. options, Image, .. command]), $"{cli} run {name}").Stdout.Trim();

    /// <summary>docker run in the foreground, to its end.</summary>
    public ProcessResult RunToEnd(string name, string[] options, params string[] command) =>
        Run(["run", .. runLimits, "--name", name, .. options, Image, .. command]);

    public ProcessResult Run(IEnumerable<string> arguments) => ProcessRunner.Run(cli, [.. daemon, .. arguments], TimeSpan.FromSeconds(120));

    public void Dispose()
    {
        foreach (string name in containers)
        {
            Run(["rm", "-f", name]);
        }

        Run(["rmi", "-f", Image]);
    }
}
