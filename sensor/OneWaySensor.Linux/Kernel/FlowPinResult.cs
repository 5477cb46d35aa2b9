namespace OneWaySensor.Linux.Kernel;

/// <summary>How pinning the kernel's flow map went (<see cref="EbpfProgram.PinFlows"/>).</summary>
public enum FlowPinResult
{
    /// <summary>Pinned: the map pinned there before, if any, is reused at load.</summary>
    Pinned,

    /// <summary>A map of another shape was pinned there (another FlowMapEntries or version): replaced by a new one.</summary>
    Replaced,

    /// <summary>Another running sensor holds the directory: this one keeps a map of its own.</summary>
    HeldByAnother,

    /// <summary>The directory is not on bpffs (or bpffs is not mounted): the map goes with the process.</summary>
    NotOnBpffs,
}
