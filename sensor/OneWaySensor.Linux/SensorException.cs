namespace OneWaySensor.Linux;

/// <summary>The eBPF source could not do what was asked; the message is one line for the user.</summary>
public sealed class SensorException : Exception
{
    public SensorException()
    {
    }

    public SensorException(string message)
        : base(message)
    {
    }

    public SensorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SensorException(string message, int errno)
        : base(message)
    {
        Errno = errno;
    }

    /// <summary>The errno behind the failure, when there was one.</summary>
    public int Errno { get; }
}
