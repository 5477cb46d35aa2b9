namespace OneWaySensor.Containers.Engine;

/// <summary>
/// The container engine could not be reached or did not answer usefully (no
/// socket, engine down, timeout, an error status). The message is one line
/// and names the socket, so an operator knows which engine to look at.
/// </summary>
public sealed class EngineUnavailableException : Exception
{
    public EngineUnavailableException()
    {
    }

    public EngineUnavailableException(string message)
        : base(message)
    {
    }

    public EngineUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
