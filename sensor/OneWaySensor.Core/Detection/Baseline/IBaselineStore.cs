namespace OneWaySensor.Detection.Baseline;

/// <summary>
/// Where baselines persist across restarts. <see cref="Load"/> once at start;
/// <see cref="Save"/> with the baselines changed since the last save (each
/// replaces what the store held for its image), in one transaction. Both
/// throw <see cref="BaselineStoreException"/> when the store cannot be read
/// or written.
/// </summary>
public interface IBaselineStore
{
    IReadOnlyDictionary<string, ImageBaseline> Load();

    void Save(IReadOnlyCollection<ImageBaseline> changed);
}

/// <summary>A baseline store cannot be opened, read or written; the message is one line that names the store.</summary>
public sealed class BaselineStoreException : Exception
{
    public BaselineStoreException()
    {
    }

    public BaselineStoreException(string message)
        : base(message)
    {
    }

    public BaselineStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
