namespace OneWaySensor.Connections;

/// <summary>
/// Ports that Zeek's protocol analyzers register as likely server ports: a
/// connection first seen from one of them to an ordinary port is taken to be
/// seen from its responder, and its roles are flipped.
/// </summary>
public static class LikelyServerPorts
{
    private static readonly HashSet<(byte Protocol, ushort Port)> Known =
    [
        .. new ushort[] { 21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 139, 143, 389, 443, 445, 502, 563, 585, 587, 631, 636, 992, 993, 995, 1080, 1433, 3128, 3306, 3389, 5060, 5222, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000 }.Select(port => ((byte)6, port)),
        .. new ushort[] { 53, 67, 69, 88, 111, 123, 137, 138, 161, 162, 443, 500, 514, 1812, 1813, 2123, 2152, 3478, 3544, 3391, 4500, 4789, 5060, 5353, 5355, 6081 }.Select(port => ((byte)17, port)),
    ];

    public static bool Contains(byte protocol, ushort port) => Known.Contains((protocol, port));
}
