using Microsoft.Win32.SafeHandles;

namespace OneWaySensor.Linux.Interop;

/// <summary>Owns a struct ows_sensor: closing it detaches and unloads everything.</summary>
internal sealed class SensorHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SensorHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.Close(handle);
        return true;
    }
}
