namespace OneWaySensor.Detection.Scoring;

/// <summary>Zeek's spelling of each <see cref="ConnState"/>, without <see cref="Enum.ToString()"/>'s reflection and allocation.</summary>
public static class ConnStateNames
{
    /// <summary>The string Zeek writes in conn.log's conn_state column.</summary>
    public static string ToZeekString(this ConnState state) => state switch
    {
        ConnState.S0 => "S0",
        ConnState.S1 => "S1",
        ConnState.SF => "SF",
        ConnState.REJ => "REJ",
        ConnState.S2 => "S2",
        ConnState.S3 => "S3",
        ConnState.RSTO => "RSTO",
        ConnState.RSTR => "RSTR",
        ConnState.RSTOS0 => "RSTOS0",
        ConnState.RSTRH => "RSTRH",
        ConnState.SH => "SH",
        ConnState.SHR => "SHR",
        ConnState.OTH => "OTH",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a conn_state"),
    };
}
