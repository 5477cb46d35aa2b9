namespace OneWaySensor.Detection.Baseline;

/// <summary>
/// What one container image normally does, learned from the flows of all of
/// its containers: the destinations its containers opened (and, coarser,
/// the protocols and ports), how many flows it opened and received, and the
/// shape of its outbound flows (<see cref="TxRxRatio"/>).
/// Bounded: at most <see cref="MaxDestinations"/> destinations and
/// <see cref="MaxPorts"/> ports are kept; each one that did not fit is
/// counted in <see cref="DestinationsDropped"/> or <see cref="PortsDropped"/>.
/// Not thread-safe: the model changes it on the detection thread; a store
/// gets a <see cref="Clone()"/>.
/// </summary>
public sealed class ImageBaseline
{
    public const int DefaultMaxDestinations = 4096;
    public const int DefaultMaxPorts = 1024;

    private readonly Dictionary<BaselineDestination, ulong> destinations = [];
    private readonly Dictionary<BaselinePort, ulong> ports = [];
    private readonly ulong[] ratios = new ulong[TxRxRatios.Count];
    private long lastLearnedUnixNs;
    private long learnedUntilUnixNs;
    private ulong inboundFlows;
    private ulong destinationsDropped;
    private ulong portsDropped;

    public ImageBaseline(string image, long firstLearnedUnixNs, int maxDestinations = DefaultMaxDestinations, int maxPorts = DefaultMaxPorts)
    {
        ArgumentException.ThrowIfNullOrEmpty(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDestinations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPorts, 1);
        Image = image;
        FirstLearnedUnixNs = firstLearnedUnixNs;
        lastLearnedUnixNs = firstLearnedUnixNs;
        MaxDestinations = maxDestinations;
        MaxPorts = maxPorts;
    }

    /// <summary>The container image name, as the container engine gives it.</summary>
    public string Image { get; }

    /// <summary>When the image began to learn: its first flow.</summary>
    public long FirstLearnedUnixNs { get; }

    public int MaxDestinations { get; }

    public int MaxPorts { get; }

    /// <summary>When the last new flow was learned.</summary>
    public long LastLearnedUnixNs
    {
        get => lastLearnedUnixNs;
        init => lastLearnedUnixNs = value;
    }

    /// <summary>When learning ended and the baseline froze; 0 while the image learns.</summary>
    public long LearnedUntilUnixNs
    {
        get => learnedUntilUnixNs;
        init => learnedUntilUnixNs = value;
    }

    public bool Frozen => learnedUntilUnixNs != 0;

    /// <summary>Flows that a remote peer opened to the image's containers.</summary>
    public ulong InboundFlows
    {
        get => inboundFlows;
        init => inboundFlows = value;
    }

    /// <summary>New destinations not kept because <see cref="MaxDestinations"/> were (one count per flow to them).</summary>
    public ulong DestinationsDropped
    {
        get => destinationsDropped;
        init => destinationsDropped = value;
    }

    /// <summary>New ports not kept because <see cref="MaxPorts"/> were (one count per flow to them).</summary>
    public ulong PortsDropped
    {
        get => portsDropped;
        init => portsDropped = value;
    }

    /// <summary>Flows the image's containers opened.</summary>
    public ulong OutboundFlows
    {
        get
        {
            ulong sum = 0;
            foreach (ulong count in ratios)
            {
                sum += count;
            }

            return sum;
        }
    }

    /// <summary>Every flow learned, outbound and inbound.</summary>
    public ulong FlowsObserved => OutboundFlows + InboundFlows;

    /// <summary>Outbound flows that sent payload and received none.</summary>
    public ulong OneWayFlows => ratios[(int)TxRxRatio.TxOnly];

    /// <summary>The share (0..1) of outbound flows that were one-way; 0 when there were none.</summary>
    public double OneWayShare => OutboundFlows is var outbound && outbound == 0 ? 0 : OneWayFlows / (double)outbound;

    /// <summary>Each destination kept, with the flows learned to it.</summary>
    public IReadOnlyDictionary<BaselineDestination, ulong> Destinations => destinations;

    /// <summary>Each protocol and port kept, with the flows learned to it.</summary>
    public IReadOnlyDictionary<BaselinePort, ulong> Ports => ports;

    /// <summary>The outbound flows of one shape.</summary>
    public ulong RatioCount(TxRxRatio bucket) => ratios[(int)bucket];

    public bool Knows(BaselineDestination destination) => destinations.ContainsKey(destination);

    public bool KnowsPort(BaselinePort port) => ports.ContainsKey(port);

    /// <summary>Counts flows to a destination; a new one past <see cref="MaxDestinations"/> is counted as dropped and false returned.</summary>
    public bool AddDestination(BaselineDestination destination, ulong flows = 1) =>
        Add(destinations, destination, flows, MaxDestinations, ref destinationsDropped);

    /// <summary>Counts flows to a protocol and port; a new one past <see cref="MaxPorts"/> is counted as dropped and false returned.</summary>
    public bool AddPort(BaselinePort port, ulong flows = 1) =>
        Add(ports, port, flows, MaxPorts, ref portsDropped);

    /// <summary>Counts outbound flows of one shape.</summary>
    public void AddRatio(TxRxRatio bucket, ulong flows = 1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)bucket, (uint)TxRxRatios.Count, nameof(bucket));
        ratios[(int)bucket] = Saturating(ratios[(int)bucket], flows);
    }

    /// <summary>A copy to hand to a store, optionally with other bounds: the destinations and ports with the fewest flows go first, and are counted as dropped.</summary>
    public ImageBaseline Clone(int? maxDestinations = null, int? maxPorts = null)
    {
        var copy = new ImageBaseline(Image, FirstLearnedUnixNs, maxDestinations ?? MaxDestinations, maxPorts ?? MaxPorts)
        {
            LastLearnedUnixNs = lastLearnedUnixNs,
            LearnedUntilUnixNs = learnedUntilUnixNs,
            InboundFlows = inboundFlows,
            DestinationsDropped = destinationsDropped,
            PortsDropped = portsDropped,
        };
        ratios.CopyTo(copy.ratios, 0);
        IEnumerable<KeyValuePair<BaselineDestination, ulong>> keptDestinations = destinations.Count > copy.MaxDestinations ? destinations.OrderByDescending(pair => pair.Value) : destinations;
        foreach ((BaselineDestination destination, ulong flows) in keptDestinations)
        {
            copy.AddDestination(destination, flows);
        }

        IEnumerable<KeyValuePair<BaselinePort, ulong>> keptPorts = ports.Count > copy.MaxPorts ? ports.OrderByDescending(pair => pair.Value) : ports;
        foreach ((BaselinePort port, ulong flows) in keptPorts)
        {
            copy.AddPort(port, flows);
        }

        return copy;
    }

    internal void AddInbound() => inboundFlows = Saturating(inboundFlows, 1);

    /// <summary>A learned flow changed shape (a reply came): moves it between buckets.</summary>
    internal void MoveRatio(TxRxRatio from, TxRxRatio to)
    {
        if (ratios[(int)from] > 0)
        {
            ratios[(int)from]--;
        }

        ratios[(int)to] = Saturating(ratios[(int)to], 1);
    }

    internal void Touch(long nowUnixNs) => lastLearnedUnixNs = Math.Max(lastLearnedUnixNs, nowUnixNs);

    internal void Freeze(long learnedUntilUnixNs) => this.learnedUntilUnixNs = learnedUntilUnixNs == 0 ? 1 : learnedUntilUnixNs;

    private static bool Add<TKey>(Dictionary<TKey, ulong> set, TKey key, ulong flows, int max, ref ulong dropped)
        where TKey : notnull
    {
        if (set.TryGetValue(key, out ulong before))
        {
            set[key] = Saturating(before, flows);
            return true;
        }

        if (set.Count >= max)
        {
            dropped = Saturating(dropped, Math.Max(flows, 1));
            return false;
        }

        set[key] = flows;
        return true;
    }

    private static ulong Saturating(ulong value, ulong add) => value > ulong.MaxValue - add ? ulong.MaxValue : value + add;
}
