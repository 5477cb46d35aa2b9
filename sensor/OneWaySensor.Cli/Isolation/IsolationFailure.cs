namespace OneWaySensor.Cli.Isolation;

/// <summary>The isolate or release command cannot do what was asked; the message is one line, the exit code 1 or 2 (usage).</summary>
internal sealed class IsolationFailure : Exception
{
    public IsolationFailure()
    {
    }

    public IsolationFailure(string message)
        : base(message)
    {
    }

    public IsolationFailure(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public IsolationFailure(string message, int exitCode)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; } = Program.Failure;
}
