using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace OneWaySensor.Processes;

/// <summary>A task's 16-byte command name, stored inline so a flow's owner costs no allocation.</summary>
[InlineArray(Length)]
public struct CommName
{
    public const int Length = 16;

    private byte first;

    /// <summary>The name up to its NUL, decoded as UTF-8 (invalid bytes become U+FFFD).</summary>
    public override readonly string ToString()
    {
        ReadOnlySpan<byte> bytes = this;
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    public static CommName From(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var comm = default(CommName);
        Span<byte> bytes = comm;

        // as the kernel keeps it: at most 15 bytes and a NUL, cut before a character that does not fit whole
        Utf8.FromUtf16(name, bytes[..(Length - 1)], out _, out _);
        return comm;
    }
}

/// <summary>The process that owns a flow's socket, as the kernel recorded it; <see cref="Known"/> is false when it did not.</summary>
public struct ProcessRef
{
    /// <summary>The process id (thread group id).</summary>
    public uint Tgid;

    /// <summary>The thread that created, connected or sent on the socket.</summary>
    public uint Pid;
    public CommName Comm;

    public readonly bool Known => Tgid != 0;
}
