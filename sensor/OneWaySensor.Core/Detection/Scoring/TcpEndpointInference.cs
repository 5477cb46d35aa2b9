using OneWaySensor.Connections;

namespace OneWaySensor.Detection.Scoring;

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
    public static EndpointState Infer(in ConnSide orig, in ConnSide resp, bool isOrig)
    {
        ConnSide self = isOrig ? orig : resp;
        if (!self.Active)
        {
            return EndpointState.Inactive;
        }

        if (self.Has(TcpFlags.Rst))
        {
            return EndpointState.Reset;
        }

        if (self.Has(TcpFlags.Fin))
        {
            return EndpointState.Closed;
        }

        if (!self.Has(TcpFlags.Syn))
        {
            return EndpointState.Partial;
        }

        bool handshake = orig.Has(TcpFlags.Syn | TcpFlags.Ack) && resp.Has(TcpFlags.Syn | TcpFlags.Ack);
        if (handshake)
        {
            return EndpointState.Established;
        }

        return !isOrig && self.Has(TcpFlags.Ack) ? EndpointState.SynAckSent : EndpointState.SynSent;
    }
}
