using OneWaySensor.Flows;
using OneWaySensor.Linux;
using OneWaySensor.Linux.Kernel;
using OneWaySensor.Tests.Support;

namespace OneWaySensor.Tests.Kernel;

/// <summary>
/// The shim's view of a ring buffer another process pinned, the way the
/// drain benchmark reads its producer's ring: a ring buffer made and pinned
/// with bpftool maps and reads empty, and a pin that is no ring buffer is
/// refused with one line. The pins are removed however the test ends.
/// </summary>
public sealed class PinnedRingTests : IDisposable
{
    private const int EINVAL = 22;
    private readonly string pin = $"/sys/fs/bpf/ows-test-ring-{Guid.NewGuid():N}";

    public void Dispose() => File.Delete(pin);

    [SkippableFact]
    public void A_pinned_ring_buffer_maps_and_reads_empty()
    {
        Pin("ringbuf", "0", "0", "4096");
        using PinnedRing ring = PinnedRing.Open(pin);

        Assert.Equal(0, ring.Reader.Drain(new FlowRecordHandler(new FlowTable()).CreateDispatcher()));
        Assert.False(ring.WaitForRecords(timeoutMs: 10));
    }

    [SkippableFact]
    public void A_pin_that_is_no_ring_buffer_is_refused()
    {
        Pin("array", "4", "8", "1");

        SensorException error = Assert.Throws<SensorException>(() => PinnedRing.Open(pin));
        Assert.Equal(EINVAL, error.Errno);
        Assert.Contains(pin, error.Message, StringComparison.Ordinal);
    }

    private void Pin(string type, string keySize, string valueSize, string entries)
    {
        Requirements.Root();
        Requirements.NativeLibrary();
        Requirements.Tool("bpftool");
        Requirements.Require(
            File.ReadLines("/proc/self/mountinfo").Any(line => line.Contains(" /sys/fs/bpf ", StringComparison.Ordinal) && line.Contains(" - bpf ", StringComparison.Ordinal)),
            "bpffs is not mounted at /sys/fs/bpf");
        ProcessResult made = ProcessRunner.Run("bpftool", ["map", "create", pin, "type", type, "key", keySize, "value", valueSize, "entries", entries, "name", "ows_test_ring"]);
        Assert.True(made.ExitCode == 0, made.Stderr);
    }
}
