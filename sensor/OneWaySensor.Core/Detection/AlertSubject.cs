using System.Net;
using OneWaySensor.Containers;

namespace OneWaySensor.Detection;

/// <summary>Who sent to where, as allowlists and maintenance windows see a candidate alert.</summary>
public sealed record AlertSubject(Workload Workload, string? Process, IPAddress? RemoteAddress, int RemotePort)
{
    public string? Image => Workload.Metadata?.Image;

    public string? ContainerName => Workload.Metadata?.Name;

    public IReadOnlyDictionary<string, string>? Labels => Workload.Metadata?.Labels;

    public ContainerIdentity? Container => Workload.Container;
}
