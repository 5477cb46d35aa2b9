namespace OneWaySensor.Windows.Etw;

/// <summary>The kernel trace session could not be started; the message is one line saying why.</summary>
public sealed class EtwSessionException(string message, Exception? inner = null) : Exception(message, inner);
