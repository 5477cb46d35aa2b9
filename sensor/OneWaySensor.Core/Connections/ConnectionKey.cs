namespace OneWaySensor.Connections;

/// <summary>
/// A connection as Zeek names it: transport, originator and responder
/// endpoints. For ICMP the "ports" are the originator's message type and its
/// counterpart (or the code, for messages that have none), so an echo request
/// and its reply are one connection.
/// </summary>
public readonly record struct ConnectionKey(
    byte Protocol,
    byte IpVersion,
    UInt128 OrigAddress,
    ushort OrigPort,
    UInt128 RespAddress,
    ushort RespPort)
{
    public ConnectionKey Flipped => new(Protocol, IpVersion, RespAddress, RespPort, OrigAddress, OrigPort);
}
