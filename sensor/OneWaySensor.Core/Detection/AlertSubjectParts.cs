using OneWaySensor.Containers;
using OneWaySensor.Processes;

namespace OneWaySensor.Detection;

/// <summary>
/// What a candidate's <see cref="AlertSubject"/> is made of, built into one
/// only when an allowlist has to look at it: a failure that stays silent is
/// refused as a repeat on every poll, and that must not allocate.
/// </summary>
internal readonly struct AlertSubjectParts(Workload workload, ProcessRef owner, DestinationKey destination)
{
    public Workload Workload => workload;

    public DestinationKey Destination => destination;

    public AlertSubject Build() =>
        new(workload, owner.Known ? owner.Comm.ToString() : null, destination.IpVersion == 0 ? null : destination.Address, destination.RemotePort);
}
