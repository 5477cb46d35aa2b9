using System.Text;

namespace OneWaySensor.Tests.Containers.Engine;

/// <summary>
/// Engine answers written by hand in the shapes of the Docker Engine API
/// reference (v1.41, ContainerInspect and SystemEvents) and of what Docker
/// 20.10 and Podman 4.3 sent on this machine.
/// </summary>
internal static class EngineSamples
{
    public const string WebId = "4f1c2a7bd3e9c0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829";
    public const string SinkId = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d";
    public const string NetworkId = "2ffa475dfbcf3ba6f2c14b6151132b8af97878d744d9517f61d6bc99795b2efa";
    public const string ExecId = "db57991d169a0868dc2be95b1370196be74c81cb3c92c054959449c4c1c9976f";

    /// <summary>A running container: two published ports (IPv4 and IPv6 for one), an exposed one, Kubernetes labels.</summary>
    public static string RunningInspect => $$"""
        {
          "Id": "{{WebId}}",
          "Created": "2026-11-27T22:30:22.752320803Z",
          "Path": "sleep",
          "Args": ["infinity"],
          "State": { "Status": "running", "Running": true, "Pid": 17382, "ExitCode": 0,
                     "StartedAt": "2026-11-27T22:30:23.099477635Z", "FinishedAt": "0001-01-01T00:00:00Z" },
          "Image": "sha256:727b900ddcdcd47c25cdb3fd58233a228852b3bf95c5bc79bc5b6fa038877a5f",
          "Name": "/k8s_web_web-7d9f_shop_0a1b_0",
          "RestartCount": 0,
          "Driver": "overlay2",
          "HostConfig": {
            "NetworkMode": "bridge",
            "Privileged": true,
            "PortBindings": { "80/tcp": [ { "HostIp": "", "HostPort": "9999" } ] },
            "RestartPolicy": { "Name": "no", "MaximumRetryCount": 0 },
            "CapAdd": ["NET_ADMIN"]
          },
          "Config": {
            "Hostname": "4f1c2a7bd3e9",
            "ExposedPorts": { "80/tcp": {}, "443/tcp": {}, "53/udp": {} },
            "Env": ["PATH=/usr/bin"],
            "Cmd": ["sleep", "infinity"],
            "Healthcheck": { "Test": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1/health"], "Interval": 30000000000 },
            "Image": "alpine:latest",
            "Labels": {
              "io.kubernetes.pod.name": "web-7d9f",
              "io.kubernetes.pod.namespace": "shop",
              "io.kubernetes.container.name": "web",
              "maintainer": "ops@example.com"
            }
          },
          "NetworkSettings": {
            "Bridge": "",
            "Ports": {
              "80/tcp": [ { "HostIp": "0.0.0.0", "HostPort": "9999" }, { "HostIp": "::", "HostPort": "9999" } ],
              "53/udp": [ { "HostIp": "127.0.0.1", "HostPort": "5353" } ],
              "443/tcp": null
            },
            "IPAddress": "172.17.0.2",
            "Networks": { "bridge": { "NetworkID": "{{NetworkId}}", "IPAddress": "172.17.0.2" } }
          }
        }
        """;

    /// <summary>A stopped container: no ports in force, only the bindings asked for.</summary>
    public static string StoppedInspect => $$"""
        {
          "Id": "{{SinkId}}",
          "Name": "/sink",
          "State": { "Status": "exited", "Running": false, "ExitCode": 137 },
          "HostConfig": { "NetworkMode": "container:{{WebId}}", "Privileged": false,
                          "PortBindings": { "8080/tcp": [ { "HostIp": "127.0.0.1", "HostPort": "" } ] } },
          "Config": { "Image": "alpine", "Labels": null },
          "NetworkSettings": { "Ports": {} }
        }
        """;

    /// <summary>A minimal inspect body with the given labels object (raw JSON).</summary>
    public static string InspectWithLabels(string labelsJson) => $$"""
        { "Id": "{{WebId}}", "Name": "/web", "Config": { "Image": "alpine", "Labels": {{labelsJson}} }, "HostConfig": {}, "NetworkSettings": {} }
        """;

    /// <summary>A Docker 20.10 container event, as captured here.</summary>
    public static string ContainerEvent(string action, string id = WebId, string extraAttributes = "", long timeNano = 1795818622764438923) => $$$"""
        {"status":"{{{action}}}","id":"{{{id}}}","from":"alpine:latest","Type":"container","Action":"{{{action}}}","Actor":{"ID":"{{{id}}}","Attributes":{"image":"alpine:latest","maintainer":"ops@example.com","name":"web"{{{extraAttributes}}}}},"scope":"local","time":{{{timeNano / 1_000_000_000}}},"timeNano":{{{timeNano}}}}
        """;

    /// <summary>A Docker 20.10 network event: the actor is the network, the container an attribute.</summary>
    public static string DockerNetworkEvent(string action, string id = WebId) => $$$"""
        {"Type":"network","Action":"{{{action}}}","Actor":{"ID":"{{{NetworkId}}}","Attributes":{"container":"{{{id}}}","name":"bridge","type":"bridge"}},"scope":"local","time":1795818622,"timeNano":1795818622807019902}
        """;

    /// <summary>A Podman 4.3 network event: the actor is the container, and the network is not named.</summary>
    public static string PodmanNetworkEvent(string action, string id = SinkId) => $$$"""
        {"status":"{{{action}}}","id":"{{{id}}}","Type":"network","Action":"{{{action}}}","Actor":{"ID":"{{{id}}}","Attributes":{"containerExitCode":"0","image":"","name":"sink","podId":""}},"scope":"local","time":1795818714,"timeNano":1795818714889247741}
        """;

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
