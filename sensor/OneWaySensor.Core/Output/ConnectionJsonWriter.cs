using System.Buffers;
using System.Text.Json;
using OneWaySensor.Connections;
using OneWaySensor.Flows;

namespace OneWaySensor.Output;

/// <summary>
/// One finished connection as a JSON line, named as Zeek's conn.log names
/// them: {"proto", "orig_addr", "orig_port", "resp_addr", "resp_port",
/// "orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_ip_bytes",
/// "resp_ip_bytes", "conn_state", "history", "first_seen", "last_seen"}.
/// Payload sizes are null where Zeek leaves them unset (no duration).
/// </summary>
public static class ConnectionJsonWriter
{
    public static void Write(ConnectionRecord record, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(record);
        Utf8JsonWriter json = OutputJson.Begin(output);
        json.WriteStartObject();
        json.WriteString("proto", record.ProtocolName);
        json.WriteString("orig_addr", FlowAddress.ToIPAddress(record.Key.OrigAddress, record.Key.IpVersion).ToString());
        json.WriteNumber("orig_port", record.Key.OrigPort);
        json.WriteString("resp_addr", FlowAddress.ToIPAddress(record.Key.RespAddress, record.Key.IpVersion).ToString());
        json.WriteNumber("resp_port", record.Key.RespPort);
        json.WriteNumber("orig_pkts", record.OrigPackets);
        json.WriteNumber("resp_pkts", record.RespPackets);
        WriteOptional(json, "orig_bytes", record.OrigBytes);
        WriteOptional(json, "resp_bytes", record.RespBytes);
        json.WriteNumber("orig_ip_bytes", record.OrigIpBytes);
        json.WriteNumber("resp_ip_bytes", record.RespIpBytes);
        json.WriteString("conn_state", record.ConnState);
        json.WriteString("history", record.History);
        OutputJson.WriteTime(json, "first_seen", UnixTime.ToDateTimeOffset(record.FirstSeenUnixNs));
        OutputJson.WriteTime(json, "last_seen", UnixTime.ToDateTimeOffset(record.LastSeenUnixNs));
        json.WriteEndObject();
        json.Flush();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, ulong? value)
    {
        if (value is ulong known)
        {
            json.WriteNumber(name, known);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
