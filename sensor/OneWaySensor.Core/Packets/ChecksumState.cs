namespace OneWaySensor.Packets;

/// <summary>What became of one checksum of a layer when verification was asked for.</summary>
internal enum ChecksumState : byte
{
    /// <summary>This header has no checksum (IPv6), or declares none (UDP over IPv4 with 0).</summary>
    Absent,

    /// <summary>Not computed: the bytes it covers were not all captured, or belong to a fragment.</summary>
    Skipped,
    Good,
    Bad,
}

/// <summary>Turns a layer's header and transport checksum states into its two checksum fields.</summary>
internal static class ChecksumVerdict
{
    /// <summary>
    /// Checked when every checksum the layer has was computed (and it has at
    /// least one), or when one was found wrong: a wrong checksum is news even
    /// if another could not be computed. Valid when none was found wrong.
    /// </summary>
    public static void Record(ref IpLayer layer, ChecksumState header, ChecksumState transport)
    {
        bool bad = header == ChecksumState.Bad || transport == ChecksumState.Bad;
        bool allComputed = header != ChecksumState.Skipped && transport != ChecksumState.Skipped
            && (header == ChecksumState.Good || transport == ChecksumState.Good);
        layer.ChecksumChecked = bad || allComputed;
        layer.ChecksumValid = layer.ChecksumChecked && !bad;
    }
}
