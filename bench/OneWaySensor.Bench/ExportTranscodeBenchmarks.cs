using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using OneWaySensor.Output;

namespace OneWaySensor.Bench;

/// <summary>
/// The sidecar export's per-record cost: one JSON record transcoded to a
/// MessagePack map, done once per record whatever the number of clients.
/// Must allocate 0 bytes. Inputs: a process event (the most frequent
/// record) and an alert-sized record with escaped strings.
/// </summary>
[MemoryDiagnoser]
public class ExportTranscodeBenchmarks
{
    private readonly ArrayBufferWriter<byte> output = new(64 * 1024);
    private byte[] record = [];

    [Params("process_exec", "alert")]
    public string Record { get; set; } = "process_exec";

    [GlobalSetup]
    public void Setup()
    {
        string json = Record == "alert"
            ? """{"seq":42,"kind":"alert","time":"2026-11-28T00:00:00.000000Z","rule":"one_way_flow","technique":"T1102.003","priority":"high","summary":"container \u0027web\u0027 sent 1200 bytes to 10.0.0.1:443 and received none in 60 s","cgroup":{"id":1234,"path":"/system.slice/docker-7be9.scope"},"workload":"container","container":{"id":"7be92808767a667f35c8505cbf40d14e931ef6db5b0210329cf193b15ba9d605","name":"/web","image":"nginx:1.25","runtime":"docker","labels":{"app":"web","tier":"front"}},"process":{"pid":4242,"tid":4242,"comm":"curl","exe":"/usr/bin/curl"},"flow":{"proto":"tcp","local_addr":"172.17.0.2","local_port":40000,"remote_addr":"10.0.0.1","remote_port":443,"initiator":"local","conn_state":"S1","tx_payload_bytes":1200,"rx_payload_bytes":0,"tx_packets":12,"rx_packets":6,"tx_ip_bytes":1680,"rx_ip_bytes":312},"evidence":{"window_seconds":60,"score":0.875},"response":{"steps":["Identify the container","Isolate the container"],"flows":[],"other_destinations":[],"recent_runtime_events":[]}}"""
            : """{"seq":42,"kind":"process_exec","time":"2026-11-28T00:00:00.000000Z","cgroup":{"id":1234,"path":"/system.slice/docker-7be9.scope"},"workload":"container","container":{"id":"7be92808767a667f35c8505cbf40d14e931ef6db5b0210329cf193b15ba9d605","runtime":"docker"},"process":{"pid":4242,"ppid":1,"comm":"sh","exe":"/bin/busybox"}}""";
        record = Encoding.UTF8.GetBytes(json);
    }

    [Benchmark]
    public int Transcode()
    {
        output.ResetWrittenCount();
        JsonToMessagePack.Transcode(record, output);
        return output.WrittenCount;
    }
}
