using OneWaySensor.Detection.Scoring;

namespace OneWaySensor.Connections;

/// <summary>
/// Zeek's conn_state function for TCP (base/protocols/conn/main.zeek), branch
/// for branch, from the two endpoints' final states. The connection tracker
/// feeds it the states it followed packet by packet; the flow model's
/// classifier feeds it states estimated from a flow's flags.
/// </summary>
public static class ZeekConnState
{
    /// <param name="orig">The originator's final state.</param>
    /// <param name="resp">The responder's final state.</param>
    /// <param name="noPayload">Neither side sent payload.</param>
    /// <param name="synThenReset">The originator sent a SYN and then a RST with no handshake, ack or FIN between (Zeek's history pattern "^?S[^HAFGIQ]*R").</param>
    public static ConnState Tcp(EndpointState orig, EndpointState resp, bool noPayload, bool synThenReset)
    {
        // Zeek counts a side seen only midstream as inactive
        bool origInactive = orig is EndpointState.Inactive or EndpointState.Partial;
        bool respInactive = resp is EndpointState.Inactive or EndpointState.Partial;
        if (resp == EndpointState.Reset)
        {
            // a reset answering an unanswered SYN, or resets both ways with no payload, is a rejection
            if (orig is EndpointState.SynSent or EndpointState.SynAckSent || (orig == EndpointState.Reset && noPayload))
            {
                return ConnState.REJ;
            }

            return origInactive ? ConnState.RSTRH : ConnState.RSTR;
        }

        if (orig == EndpointState.Reset)
        {
            if (respInactive)
            {
                return synThenReset ? ConnState.RSTOS0 : ConnState.OTH;
            }

            // Zeek's RSTO does not ask whether the handshake completed: a half-open scan is RSTO too
            return ConnState.RSTO;
        }

        if (orig == EndpointState.Closed && resp == EndpointState.Closed)
        {
            return ConnState.SF;
        }

        if (orig == EndpointState.Closed)
        {
            // Zeek does not check for the SYN its documentation of SH mentions
            return respInactive ? ConnState.SH : ConnState.S2;
        }

        if (resp == EndpointState.Closed)
        {
            return origInactive ? ConnState.SHR : ConnState.S3;
        }

        if (orig == EndpointState.SynSent && resp == EndpointState.Inactive)
        {
            return ConnState.S0;
        }

        return orig == EndpointState.Established && resp == EndpointState.Established ? ConnState.S1 : ConnState.OTH;
    }
}
