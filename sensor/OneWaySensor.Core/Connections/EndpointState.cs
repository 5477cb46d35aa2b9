namespace OneWaySensor.Connections;

/// <summary>One side of a TCP connection, in the states Zeek's conn_state is computed from.</summary>
public enum EndpointState : byte
{
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}
