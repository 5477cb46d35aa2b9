namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// Zeek's conn.log <c>conn_state</c> values, so analysts read the sensor's
/// flows in the vocabulary they already know. Each member quotes Zeek's
/// meaning (base/protocols/conn/main.zeek); <see cref="ConnStateClassifier"/>
/// says how the sensor approximates it from a flow summary.
/// </summary>
public enum ConnState : byte
{
    /// <summary>Connection attempt seen, no reply.</summary>
    S0,

    /// <summary>Connection established, not terminated.</summary>
    S1,

    /// <summary>Normal establishment and termination (for UDP and ICMP: both sides sent).</summary>
    SF,

    /// <summary>Connection attempt rejected.</summary>
    REJ,

    /// <summary>Connection established and close attempt by originator seen (but no reply from responder).</summary>
    S2,

    /// <summary>Connection established and close attempt by responder seen (but no reply from originator).</summary>
    S3,

    /// <summary>Connection established, originator aborted (sent a RST).</summary>
    RSTO,

    /// <summary>Responder sent a RST.</summary>
    RSTR,

    /// <summary>Originator sent a SYN followed by a RST, no SYN-ACK seen from the responder.</summary>
    RSTOS0,

    /// <summary>Responder sent a SYN-ACK followed by a RST, no SYN seen from the (purported) originator.</summary>
    RSTRH,

    /// <summary>Originator sent a SYN followed by a FIN, no SYN-ACK seen from the responder ("half" open).</summary>
    SH,

    /// <summary>Responder sent a SYN-ACK followed by a FIN, no SYN seen from the originator (for UDP and ICMP: only the responder sent).</summary>
    SHR,

    /// <summary>No SYN seen, just midstream traffic, or anything the other states do not name.</summary>
    OTH,
}
