namespace OneWaySensor.Containers;

/// <summary>One container engine's connection: its socket, whether it answers now, and why it does not.</summary>
public readonly record struct EngineConnection(string Socket, bool Connected, string? LastFailure);
