using System.Buffers.Binary;

namespace OneWaySensor.Packets;

/// <summary>
/// Finds the IP packet in an 802.11 frame, with or without a radiotap header in front.
///
///   radiotap: version(1) = 0 | pad(1) | length(2, little-endian) | present(4, LE) [more present words while bit 31 is set] | fields
///   802.11 data: frame control(2) duration(2) address1(6) address2(6) address3(6) sequence(2)
///                [address4(6) when ToDS and FromDS] [QoS control(2) for QoS subtypes] [HT control(4) when QoS and Order]
///                then LLC/SNAP and the EtherType
///
/// Management and control frames, data frames without data, encrypted frames
/// and A-MSDU aggregates are not IP as far as the parser can read.
/// </summary>
internal static class WirelessFrame
{
    private const int RadiotapMinLength = 8;
    private const int RadiotapLengthOffset = 2;
    private const int RadiotapPresentOffset = 4;
    private const uint PresentExtended = 0x8000_0000;
    private const uint PresentTsft = 0x01;
    private const uint PresentFlags = 0x02;
    private const int TsftLength = 8;
    private const byte FlagDataPadding = 0x20;

    private const int FrameControlLength = 2;
    private const int DataHeaderLength = 24;
    private const int FourthAddressLength = 6;
    private const int QosControlLength = 2;
    private const int HtControlLength = 4;
    private const int DataType = 2;
    private const int SubtypeQos = 0x08;
    private const int SubtypeNoData = 0x04;
    private const byte FlagsToDsFromDs = 0x03;
    private const byte FlagProtected = 0x40;
    private const byte FlagOrder = 0x80;
    private const byte QosAmsduPresent = 0x80;

    /// <summary>Skips the radiotap header, then reads the 802.11 frame after it.</summary>
    public static PacketParseResult FindIpAfterRadiotap(ReadOnlySpan<byte> frame, out int ipStart, out byte ipVersion)
    {
        ipStart = 0;
        ipVersion = 0;
        if (frame.Length < RadiotapLengthOffset + 2)
        {
            return PacketParseResult.Truncated;
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(RadiotapLengthOffset, 2));
        if (frame[0] != 0 || length < RadiotapMinLength)
        {
            return PacketParseResult.Malformed;
        }

        if (frame.Length < length)
        {
            return PacketParseResult.Truncated;
        }

        return FindIp(frame, length, HasDataPadding(frame[..length]), out ipStart, out ipVersion);
    }

    /// <summary>Reads the 802.11 frame at <paramref name="position"/>; <paramref name="padded"/> when radiotap said its header is padded to 4 bytes.</summary>
    public static PacketParseResult FindIp(ReadOnlySpan<byte> frame, int position, bool padded, out int ipStart, out byte ipVersion)
    {
        ipStart = 0;
        ipVersion = 0;
        if (frame.Length < position + FrameControlLength)
        {
            return PacketParseResult.Truncated;
        }

        byte control = frame[position];
        byte flags = frame[position + 1];
        int subtype = control >> 4;
        if ((control & 0x03) != 0)
        {
            return PacketParseResult.Malformed; // protocol version 0 is the only one with this layout
        }

        if (((control >> 2) & 0x03) != DataType || (subtype & SubtypeNoData) != 0 || (flags & FlagProtected) != 0)
        {
            return PacketParseResult.NotIp;
        }

        int header = DataHeaderLength;
        if ((flags & FlagsToDsFromDs) == FlagsToDsFromDs)
        {
            header += FourthAddressLength;
        }

        int qosControl = header;
        bool qos = (subtype & SubtypeQos) != 0;
        if (qos)
        {
            header += QosControlLength;

            // the Order bit means an HT control field only in QoS data frames
            if ((flags & FlagOrder) != 0)
            {
                header += HtControlLength;
            }
        }

        if (frame.Length < position + header)
        {
            return PacketParseResult.Truncated;
        }

        if (qos && (frame[position + qosControl] & QosAmsduPresent) != 0)
        {
            return PacketParseResult.NotIp; // several subframes, each with its own header
        }

        if (padded)
        {
            header = (header + 3) & ~3;
        }

        position += header;
        PacketParseResult snap = LlcSnap.ReadEtherType(frame, position, out ushort etherType);
        return snap != PacketParseResult.Ip
            ? snap
            : EthernetFrame.FollowEtherType(frame, etherType, position + LlcSnap.HeaderLength, out ipStart, out ipVersion);
    }

    /// <summary>
    /// Whether radiotap's Flags field says the driver padded the 802.11 header
    /// to a multiple of 4 bytes. Flags is the second field; only TSFT (8 bytes,
    /// aligned to 8 from the radiotap start) can come before it.
    /// </summary>
    private static bool HasDataPadding(ReadOnlySpan<byte> radiotap)
    {
        uint present = BinaryPrimitives.ReadUInt32LittleEndian(radiotap.Slice(RadiotapPresentOffset, 4));
        int position = RadiotapPresentOffset + 4;
        uint word = present;
        while ((word & PresentExtended) != 0)
        {
            if (radiotap.Length < position + 4)
            {
                return false;
            }

            word = BinaryPrimitives.ReadUInt32LittleEndian(radiotap.Slice(position, 4));
            position += 4;
        }

        if ((present & PresentFlags) == 0)
        {
            return false;
        }

        if ((present & PresentTsft) != 0)
        {
            position = ((position + TsftLength - 1) & ~(TsftLength - 1)) + TsftLength;
        }

        return position < radiotap.Length && (radiotap[position] & FlagDataPadding) != 0;
    }
}
