namespace OneWaySensor.Packets;

/// <summary>
/// Reads the IP layers of one captured frame: link layer, then IP and
/// transport header, then through tunnels (GRE, VXLAN, Teredo, IP-in-IP) to
/// the innermost packet, up to <see cref="IpLayers.MaxDepth"/> layers.
/// Nothing is allocated, and every read is checked against the frame: a short
/// frame gives <see cref="PacketParseResult.Truncated"/>, never an exception.
/// </summary>
/// <remarks>
/// The steps inside return a <see cref="PacketParseResult"/> too: Ip means
/// "go on", anything else is the frame's verdict. A tunnel's inner packet that
/// is cut or damaged ends the walk with the layers read so far.
/// </remarks>
public static class PacketParser
{
    /// <summary>
    /// Fills <paramref name="layers"/> outermost first. Ip when at least one IP
    /// layer was read; the layers stay valid only as values (they hold no
    /// reference to <paramref name="frame"/>).
    /// </summary>
    /// <param name="verifyChecksums">Check the IPv4 header and transport checksums, where the bytes they cover were all captured.</param>
    public static PacketParseResult Parse(ReadOnlySpan<byte> frame, LinkType linkType, ref PacketLayers layers, bool verifyChecksums = false)
    {
        layers.Count = 0;
        PacketParseResult link = LinkLayer.FindIp(frame, linkType, out int ipStart, out byte ipVersion);
        if (link != PacketParseResult.Ip)
        {
            return link;
        }

        ReadOnlySpan<byte> packet = frame[ipStart..];
        Encapsulation carried = Encapsulation.None;
        IpPayload payload;
        while (layers.Count < IpLayers.MaxDepth)
        {
            ref IpLayer layer = ref layers.Layers[layers.Count];
            PacketParseResult result = ParseLayer(packet, ipVersion, verifyChecksums, ref layer, out payload);
            if (result != PacketParseResult.Ip)
            {
                return layers.Count > 0 ? PacketParseResult.Ip : result;
            }

            // the outer layer says what it carried only once the inner layer was read
            if (layers.Count > 0)
            {
                layers.Layers[layers.Count - 1].Carries = carried;
            }

            layers.Count++;
            carried = Tunnels.FindInner(layer, payload, out packet, out ipVersion);
            if (carried == Encapsulation.None)
            {
                break;
            }
        }

        return PacketParseResult.Ip;
    }

    /// <param name="expectedVersion">The version the layer below announced, or 0 when only the header's nibble tells.</param>
    private static PacketParseResult ParseLayer(ReadOnlySpan<byte> packet, byte expectedVersion, bool verifyChecksums, scoped ref IpLayer layer, out IpPayload payload)
    {
        layer = default;
        payload = default;
        if (packet.IsEmpty)
        {
            return PacketParseResult.Truncated;
        }

        int version = packet[0] >> 4;
        if (expectedVersion != 0 && version != expectedVersion)
        {
            return PacketParseResult.Malformed;
        }

        PacketParseResult result = version switch
        {
            4 => Ipv4Header.Parse(packet, verifyChecksums, ref layer, out payload),
            6 => Ipv6Header.Parse(packet, ref layer, out payload),
            _ => PacketParseResult.Malformed,
        };
        if (result != PacketParseResult.Ip)
        {
            return result;
        }

        result = TransportHeader.Parse(payload, verifyChecksums, ref layer, out ChecksumState transportChecksum);
        if (result == PacketParseResult.Ip && verifyChecksums)
        {
            ChecksumVerdict.Record(ref layer, payload.HeaderChecksum, transportChecksum);
        }

        return result;
    }
}
