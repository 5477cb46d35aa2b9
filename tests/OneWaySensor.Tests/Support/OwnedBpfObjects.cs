using System.Globalization;

namespace OneWaySensor.Tests.Support;

/// <summary>
/// The BPF programs and links one process holds, from its file descriptors'
/// fdinfo ("prog_id:", "link_id:"). Other sensors may run beside a test,
/// so a test asks about its own sensor's objects by id, never about every
/// ows_* program. (Debian's bpftool is built without the pid iterator that
/// would show owners.) Links are the ones attached to hooks: the socket
/// flush iterator's link attaches to none and stays until the sensor is
/// disposed, for the last read after the detach.
/// </summary>
internal sealed record OwnedBpfObjects(IReadOnlySet<uint> Programs, IReadOnlySet<uint> Links)
{
    public static OwnedBpfObjects Of(int pid)
    {
        var programs = new HashSet<uint>();
        var links = new HashSet<uint>();
        foreach (string fdinfo in Directory.EnumerateFiles($"/proc/{pid}/fdinfo"))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(fdinfo);
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }

            uint? link = Field(lines, "link_id:");
            if (link is uint linkId)
            {
                if (Text(lines, "link_type:") == "iter")
                {
                    continue;
                }

                links.Add(linkId);
            }
            else if (Field(lines, "prog_id:") is uint programId)
            {
                programs.Add(programId);
            }
        }

        return new OwnedBpfObjects(programs, links);
    }

    /// <summary>The programs of these that the kernel still has loaded.</summary>
    public IReadOnlyList<uint> ProgramsStillLoaded() =>
        [.. Programs.Where(id => ProcessRunner.Run("bpftool", ["prog", "show", "id", id.ToString(CultureInfo.InvariantCulture)]).ExitCode == 0)];

    /// <summary>The links of these that the kernel still has.</summary>
    public IReadOnlyList<uint> LinksStillPresent() =>
        [.. Links.Where(id => ProcessRunner.Run("bpftool", ["link", "show", "id", id.ToString(CultureInfo.InvariantCulture)]).ExitCode == 0)];

    private static uint? Field(string[] lines, string name) =>
        Text(lines, name) is string text ? uint.Parse(text, CultureInfo.InvariantCulture) : null;

    private static string? Text(string[] lines, string name)
    {
        string? line = lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        return line?[name.Length..].Trim();
    }
}
