namespace OneWaySensor.Connections;

/// <summary>
/// Which ICMP messages answer which, so that a request and its reply make one
/// connection: the first sender's type is the originator's "port" and the
/// answering type the responder's. A message without a counterpart takes its
/// code instead.
/// </summary>
public static class IcmpCounterpart
{
    /// <summary>The counterpart type of a message, or null when it has none.</summary>
    public static byte? Of(byte type, bool v6) => v6
        ? type switch
        {
            128 => 129, 129 => 128, // echo
            133 => 134, 134 => 133, // router solicitation / advertisement
            135 => 136, 136 => 135, // neighbor solicitation / advertisement
            130 => 131, 131 => 130, // multicast listener query / report
            139 => 140, 140 => 139, // node information
            _ => null,
        }
        : type switch
        {
            8 => 0, 0 => 8,         // echo
            13 => 14, 14 => 13,     // timestamp
            15 => 16, 16 => 15,     // information
            10 => 9, 9 => 10,       // router solicitation / advertisement
            17 => 18, 18 => 17,     // address mask
            _ => null,
        };
}
