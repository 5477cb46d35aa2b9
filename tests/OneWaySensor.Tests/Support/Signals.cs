using System.Runtime.InteropServices;

namespace OneWaySensor.Tests.Support;

/// <summary>kill(2), so the tests need no procps.</summary>
internal static partial class Signals
{
    public const int Interrupt = 2;
    public const int Sigkill = 9;
    public const int Terminate = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static void Send(int pid, int signal) =>
        Assert.True(Kill(pid, signal) == 0 || Marshal.GetLastPInvokeError() == 3 /* ESRCH: already gone */, $"kill({pid}, {signal}) failed");
}
