namespace OneWaySensor.Packets;

/// <summary>
/// An 802.2 LLC header with a SNAP extension, as 802.3 length frames and
/// 802.11 data frames carry IP:
///
///   DSAP 0xAA | SSAP 0xAA | control 0x03 | OUI 00 00 00 | EtherType(2)
///
/// Any other LLC header (spanning tree, NetBIOS, a vendor OUI) is not IP.
/// </summary>
internal static class LlcSnap
{
    public const int HeaderLength = 8;

    private const byte SnapSap = 0xAA;
    private const byte UnnumberedInformation = 0x03;
    private const int OuiOffset = 3;
    private const int TypeOffset = 6;

    /// <summary>Ip when the header at <paramref name="position"/> is SNAP with an EtherType, which it gives.</summary>
    public static PacketParseResult ReadEtherType(ReadOnlySpan<byte> frame, int position, out ushort etherType)
    {
        etherType = 0;
        if (frame.Length < position + HeaderLength)
        {
            return PacketParseResult.Truncated;
        }

        ReadOnlySpan<byte> header = frame.Slice(position, HeaderLength);
        bool snap = header[0] == SnapSap && header[1] == SnapSap && header[2] == UnnumberedInformation;

        // OUI 00 00 00 means the next two bytes are an EtherType; other OUIs number their own protocols
        bool etherTypeFollows = header[OuiOffset] == 0 && header[OuiOffset + 1] == 0 && header[OuiOffset + 2] == 0;
        if (!snap || !etherTypeFollows)
        {
            return PacketParseResult.NotIp;
        }

        etherType = NetworkOrder.Read16(header, TypeOffset);
        return PacketParseResult.Ip;
    }
}
