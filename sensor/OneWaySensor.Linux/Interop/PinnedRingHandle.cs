using Microsoft.Win32.SafeHandles;

namespace OneWaySensor.Linux.Interop;

/// <summary>Owns a struct ows_pinned_ring: its mapping of a pinned ring buffer; the map lives on while pinned.</summary>
internal sealed class PinnedRingHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public PinnedRingHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.PinnedRingClose(handle);
        return true;
    }
}
