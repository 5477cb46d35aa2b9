namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// Zeek's per-endpoint TCP states (TCP_INACTIVE .. TCP_RESET), from which its
/// conn_state function derives the connection's state. The sensor cannot
/// replay packets through Zeek's state machine; <see cref="TcpEndpoint.Infer"/>
/// estimates each endpoint's final state from the flags it used.
/// </summary>
internal enum TcpEndpointState : byte
{
    /// <summary>Sent nothing.</summary>
    Inactive,

    /// <summary>Sent a SYN; the handshake did not complete.</summary>
    SynSent,

    /// <summary>The responder sent a SYN-ACK; the originator never acknowledged it.</summary>
    SynAckSent,

    /// <summary>Sent traffic but never a SYN: picked up midstream.</summary>
    Partial,

    /// <summary>The three-way handshake completed and the endpoint has not closed.</summary>
    Established,

    /// <summary>Sent a FIN.</summary>
    Closed,

    /// <summary>Sent a RST.</summary>
    Reset,
}

/// <summary>Estimates an endpoint's final Zeek state from a summary's OR'd flags.</summary>
internal static class TcpEndpoint
{
    /// <summary>
    /// The state of the originator (<paramref name="isOrig"/>) or responder.
    /// Approximations, since the flags carry no order:
    /// <list type="bullet">
    /// <item>RST beats FIN: Zeek keeps the endpoint's last transition, and a
    /// FIN can precede a RST but nothing follows a RST.</item>
    /// <item>Established means the whole handshake was seen, in any order: a
    /// SYN and an ACK from the originator, a SYN with an ACK from the
    /// responder. An originator's ACK may in truth precede the SYN-ACK only in
    /// traffic that is broken anyway.</item>
    /// <item>Zeek moves an endpoint to Closed or Reset whatever state it was
    /// in, so a FIN or RST wins even without a SYN, as here.</item>
    /// </list>
    /// </summary>
    public static TcpEndpointState Infer(in ConnSide orig, in ConnSide resp, bool isOrig)
    {
        ConnSide self = isOrig ? orig : resp;
        if (!self.Active)
        {
            return TcpEndpointState.Inactive;
        }

        if (self.Has(TcpFlags.Rst))
        {
            return TcpEndpointState.Reset;
        }

        if (self.Has(TcpFlags.Fin))
        {
            return TcpEndpointState.Closed;
        }

        if (!self.Has(TcpFlags.Syn))
        {
            return TcpEndpointState.Partial;
        }

        bool handshake = orig.Has(TcpFlags.Syn | TcpFlags.Ack) && resp.Has(TcpFlags.Syn | TcpFlags.Ack);
        if (handshake)
        {
            return TcpEndpointState.Established;
        }

        return !isOrig && self.Has(TcpFlags.Ack) ? TcpEndpointState.SynAckSent : TcpEndpointState.SynSent;
    }
}
