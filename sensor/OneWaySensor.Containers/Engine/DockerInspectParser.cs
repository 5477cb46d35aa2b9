using System.Globalization;
using System.Text.Json;

namespace OneWaySensor.Containers.Engine;

/// <summary>
/// Maps the body of <c>GET /containers/{id}/json</c> (Docker and Podman) to
/// <see cref="ContainerMetadata"/>. The members read:
/// <code>
/// { "Id": "4f1c...", "Name": "/web",
///   "Config":          { "Image": "nginx:1.27", "Labels": { "k": "v" } },
///   "HostConfig":      { "NetworkMode": "bridge", "Privileged": false,
///                        "PortBindings": { "80/tcp": [ { "HostIp": "", "HostPort": "9999" } ] } },
///   "NetworkSettings": { "Ports": { "80/tcp": [ { "HostIp": "0.0.0.0", "HostPort": "9999" } ],
///                                   "443/tcp": null } } }
/// </code>
/// NetworkSettings.Ports holds the bindings in force while the container
/// runs; a stopped container has none, so HostConfig.PortBindings (what was
/// asked for) stands in. A null binding list is an exposed port that is not
/// published.
/// </summary>
internal static class DockerInspectParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>The metadata in <paramref name="body"/>, or null (counted) when the body is not an inspect answer.</summary>
    public static ContainerMetadata? Parse(ReadOnlyMemory<byte> body, ref EngineClientCounters counters)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            Interlocked.Increment(ref counters.MalformedAnswers);
            return null;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            string? id = root.ValueKind == JsonValueKind.Object ? JsonFields.GetString(root, "Id", ref counters) : null;
            if (!ContainerIds.IsPlausible(id))
            {
                Interlocked.Increment(ref counters.MalformedAnswers);
                return null;
            }

            JsonFields.TryGetObject(root, "Config", out JsonElement config, ref counters);
            JsonFields.TryGetObject(root, "HostConfig", out JsonElement hostConfig, ref counters);
            JsonFields.TryGetObject(root, "NetworkSettings", out JsonElement networkSettings, ref counters);

            IReadOnlyDictionary<string, string> labels = ReadLabels(config, ref counters);
            List<PublishedPort> ports = ReadPorts(networkSettings, "Ports", ref counters);
            if (ports.Count == 0)
            {
                ports = ReadPorts(hostConfig, "PortBindings", ref counters);
            }

            return new ContainerMetadata
            {
                Id = id,
                Name = JsonFields.GetString(root, "Name", ref counters)?.TrimStart('/'),
                Image = JsonFields.GetString(config, "Image", ref counters),
                Labels = labels,
                PublishedPorts = ports,
                NetworkMode = JsonFields.GetString(hostConfig, "NetworkMode", ref counters),
                Privileged = JsonFields.GetBoolean(hostConfig, "Privileged", ref counters),
                PodName = labels.GetValueOrDefault("io.kubernetes.pod.name"),
                PodNamespace = labels.GetValueOrDefault("io.kubernetes.pod.namespace"),
                KubernetesContainerName = labels.GetValueOrDefault("io.kubernetes.container.name"),
                HealthcheckCommand = ReadHealthcheck(config, ref counters),
                Addresses = ReadAddresses(networkSettings, ref counters),
            };
        }
    }

    /// <summary>Config.Healthcheck.Test as exec events spell it: ["CMD-SHELL", "x"] is "/bin/sh -c x", ["CMD", "a", "b"] is "a b".</summary>
    private static string? ReadHealthcheck(JsonElement config, ref EngineClientCounters counters)
    {
        if (config.ValueKind != JsonValueKind.Object || !JsonFields.TryGetObject(config, "Healthcheck", out JsonElement healthcheck, ref counters)
            || !healthcheck.TryGetProperty("Test", out JsonElement test) || test.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var words = new List<string>();
        foreach (JsonElement word in test.EnumerateArray())
        {
            if (JsonFields.ReadString(word, ref counters) is string text)
            {
                words.Add(text);
            }
        }

        return words switch
        {
            ["CMD-SHELL", string shell] => $"/bin/sh -c {shell}",
            ["CMD", .. var command] when command.Count > 0 => string.Join(' ', command),
            _ => null,
        };
    }

    /// <summary>NetworkSettings.Networks.*.IPAddress and GlobalIPv6Address; empty strings (a stopped container) and nonsense are left out.</summary>
    private static List<System.Net.IPAddress> ReadAddresses(JsonElement networkSettings, ref EngineClientCounters counters)
    {
        var addresses = new List<System.Net.IPAddress>();
        if (networkSettings.ValueKind != JsonValueKind.Object || !JsonFields.TryGetObject(networkSettings, "Networks", out JsonElement networks, ref counters))
        {
            return addresses;
        }

        foreach (JsonProperty network in networks.EnumerateObject().Take(EngineLimits.MaxPorts))
        {
            if (network.Value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            foreach (string field in new[] { "IPAddress", "GlobalIPv6Address" })
            {
                if (JsonFields.GetString(network.Value, field, ref counters) is { Length: > 0 } text && System.Net.IPAddress.TryParse(text, out System.Net.IPAddress? address))
                {
                    addresses.Add(address);
                }
            }
        }

        return addresses;
    }

    private static Dictionary<string, string> ReadLabels(JsonElement config, ref EngineClientCounters counters)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!JsonFields.TryGetObject(config, "Labels", out JsonElement members, ref counters))
        {
            return labels;
        }

        foreach (JsonProperty member in members.EnumerateObject())
        {
            string? key = JsonFields.ReadName(member, ref counters);
            string? value = JsonFields.ReadString(member.Value, ref counters);
            if (key is null || value is null)
            {
                continue;
            }

            if (labels.Count >= EngineLimits.MaxLabels && !labels.ContainsKey(key))
            {
                Interlocked.Increment(ref counters.TruncatedValues);
                continue;
            }

            labels[key] = value;
        }

        return labels;
    }

    private static List<PublishedPort> ReadPorts(JsonElement parent, string name, ref EngineClientCounters counters)
    {
        var ports = new List<PublishedPort>();
        if (!JsonFields.TryGetObject(parent, name, out JsonElement members, ref counters))
        {
            return ports;
        }

        foreach (JsonProperty member in members.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.Null)
            {
                continue; // exposed, not published
            }

            string? key = JsonFields.ReadName(member, ref counters);
            if (key is null || !TryParsePortKey(key, out string protocol, out int containerPort) || member.Value.ValueKind != JsonValueKind.Array)
            {
                Interlocked.Increment(ref counters.MalformedElements);
                continue;
            }

            foreach (JsonElement binding in member.Value.EnumerateArray())
            {
                if (binding.ValueKind != JsonValueKind.Object)
                {
                    Interlocked.Increment(ref counters.MalformedElements);
                    continue;
                }

                if (ports.Count >= EngineLimits.MaxPorts)
                {
                    Interlocked.Increment(ref counters.TruncatedValues);
                    return ports;
                }

                string? hostIp = JsonFields.GetString(binding, "HostIp", ref counters);
                int? hostPort = binding.TryGetProperty("HostPort", out JsonElement port) ? JsonFields.ReadPort(port, ref counters) : null;
                ports.Add(new PublishedPort(protocol, containerPort, string.IsNullOrEmpty(hostIp) ? null : hostIp, hostPort));
            }
        }

        return ports;
    }

    /// <summary>"80/tcp" into ("tcp", 80); a key with no protocol is TCP, as Docker reads it.</summary>
    internal static bool TryParsePortKey(string key, out string protocol, out int port)
    {
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        ReadOnlySpan<char> number = slash < 0 ? key : key.AsSpan(0, slash);
        protocol = slash < 0 ? "tcp" : key[(slash + 1)..].ToLowerInvariant();
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > ushort.MaxValue
            || protocol.Length is 0 or > 8)
        {
            return false;
        }

        foreach (char c in protocol)
        {
            if (!char.IsAsciiLetterLower(c))
            {
                return false;
            }
        }

        return true;
    }
}
