using Microsoft.Win32.SafeHandles;

namespace OneWaySensor.Linux.Interop;

/// <summary>Owns a struct ows_deny_set: its duplicated map descriptors and pin directory; the maps outlive it.</summary>
internal sealed class DenySetHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public DenySetHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.DenySetClose(handle);
        return true;
    }
}
