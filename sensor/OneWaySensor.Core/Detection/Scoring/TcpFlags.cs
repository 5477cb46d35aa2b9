namespace OneWaySensor.Detection.Scoring;

/// <summary>
/// The TCP header flag bits the sensor ORs per direction of a flow
/// (<see cref="Flows.FlowState.TxTcpFlags"/>, <see cref="Flows.FlowState.RxTcpFlags"/>),
/// numbered as in the header's flags byte so a BPF-side value needs no mapping.
/// </summary>
public static class TcpFlags
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
}
