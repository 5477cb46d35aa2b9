using System.Runtime.InteropServices;

namespace OneWaySensor.Linux.Interop;

/// <summary>Turns the shim's negative errno returns into <see cref="SensorException"/> with words.</summary>
internal static class NativeError
{
    public static int Check(int result, string what)
    {
        if (result < 0)
        {
            throw new SensorException($"{what}: {Describe(result)}", -result);
        }

        return result;
    }

    public static unsafe string Describe(int error) =>
        Marshal.PtrToStringUTF8((IntPtr)NativeMethods.ErrorText(error)) ?? $"error {error}";
}
