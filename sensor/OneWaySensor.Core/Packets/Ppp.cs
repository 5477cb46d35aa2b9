namespace OneWaySensor.Packets;

/// <summary>
/// PPP framing as PPPoE sessions and PPTP's enhanced GRE carry it (RFC 1661, 1662):
///
///   [address 0xFF | control 0x03] | protocol(2, or 1 when compressed) | packet
///
/// The address and control bytes are optional (address-and-control-field
/// compression); 0xFF03 cannot be a protocol number, so their presence is unambiguous.
/// </summary>
internal static class Ppp
{
    private const ushort Ipv4 = 0x0021;
    private const ushort Ipv6 = 0x0057;
    private const byte AllStationsAddress = 0xFF;
    private const byte UnnumberedInformation = 0x03;

    /// <summary>Ip when the PPP frame at <paramref name="position"/> carries IPv4 or IPv6, starting at <paramref name="ipStart"/>.</summary>
    public static PacketParseResult FindIp(ReadOnlySpan<byte> frame, int position, out int ipStart, out byte ipVersion)
    {
        ipStart = 0;
        ipVersion = 0;
        if (frame.Length < position + 2)
        {
            return PacketParseResult.Truncated;
        }

        if (frame[position] == AllStationsAddress && frame[position + 1] == UnnumberedInformation)
        {
            position += 2;
        }

        if (frame.Length <= position)
        {
            return PacketParseResult.Truncated;
        }

        // protocol-field compression: a protocol whose first byte is odd was sent as that byte alone
        ushort protocol;
        if ((frame[position] & 1) != 0)
        {
            protocol = frame[position];
            position += 1;
        }
        else
        {
            if (frame.Length < position + 2)
            {
                return PacketParseResult.Truncated;
            }

            protocol = NetworkOrder.Read16(frame, position);
            position += 2;
        }

        ipVersion = protocol switch
        {
            Ipv4 => 4,
            Ipv6 => 6,
            _ => 0,
        };
        ipStart = position;
        return ipVersion == 0 ? PacketParseResult.NotIp : PacketParseResult.Ip;
    }
}
