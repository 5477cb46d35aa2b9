using System.Runtime.InteropServices;
using OneWaySensor.Flows;

namespace OneWaySensor.Detection.Baseline;

/// <summary>
/// One <see cref="ImageBaseline"/> per container image, learned and judged.
/// <para>
/// An image starts learning at its first flow. Learning ends once
/// <see cref="BaselineOptions.LearningSeconds"/> have passed since then AND
/// the image has shown <see cref="BaselineOptions.MinimumObservations"/>
/// flows; from then on the baseline is frozen: nothing more is learned, two-way
/// traffic included, until <see cref="Relearn"/>. A baseline that kept
/// learning could be taught a channel by the adversary (first answered, then
/// one-way) and would drift with every deployment unnoticed; a frozen one
/// says exactly what it was compared with, and the operator relearns after a
/// planned change.
/// </para>
/// <para>
/// <see cref="Learn"/> is meant to be called for every flow on every poll:
/// each flow (its key and first-seen time) counts once, and while the image
/// learns, a flow whose shape changes (a reply arrives) moves to its new
/// <see cref="TxRxRatio"/> bucket. Only flows the container opened teach
/// destinations; flows opened to it (whose remote port is the peer's
/// ephemeral one) are only counted.
/// </para>
/// Single-threaded: the detection thread is its only caller.
/// <see cref="TakeChanged"/> returns copies that a store may write on any thread.
/// </summary>
public sealed class BaselineModel
{
    /// <summary>Flows being learned that the model remembers (so each counts once); past it new flows are counted as dropped.</summary>
    public const int MaxTrackedFlows = 262_144;

    private const long SweepIntervalNs = 60 * UnixTime.NanosecondsPerSecond;

    // a learning flow not passed to Learn for this long is gone from the flow table
    private const long TrackedIdleNs = 300 * UnixTime.NanosecondsPerSecond;

    private readonly Dictionary<string, ImageBaseline> images = new(StringComparer.Ordinal);
    private readonly HashSet<string> changed = new(StringComparer.Ordinal);
    private readonly Dictionary<TrackedFlow, Tracked> tracked = [];
    private readonly long learningNs;
    private readonly long minimumOneWayNs;
    private long nextSweepUnixNs;
    private ulong imagesDropped;
    private ulong trackedFlowsDropped;
    private ulong unjudged;

    /// <param name="options">Validated options.</param>
    /// <param name="loaded">Baselines a store loaded; each is copied with this model's bounds.</param>
    public BaselineModel(BaselineOptions options, IReadOnlyDictionary<string, ImageBaseline>? loaded = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        learningNs = options.LearningSeconds * UnixTime.NanosecondsPerSecond;
        minimumOneWayNs = options.MinimumOneWaySeconds * UnixTime.NanosecondsPerSecond;
        foreach ((string image, ImageBaseline baseline) in loaded ?? new Dictionary<string, ImageBaseline>())
        {
            if (images.Count >= options.MaxImages)
            {
                imagesDropped++;
                continue;
            }

            images[image] = baseline.MaxDestinations == options.MaxDestinationsPerImage && baseline.MaxPorts == options.MaxPortsPerImage
                ? baseline.Clone()
                : baseline.Clone(options.MaxDestinationsPerImage, options.MaxPortsPerImage);
        }
    }

    public BaselineOptions Options { get; }

    /// <summary>Every baseline, learning or frozen. Do not change them.</summary>
    public IReadOnlyDictionary<string, ImageBaseline> Images => images;

    public BaselineCounters Counters => new(
        (ulong)images.Count,
        (ulong)images.Values.Count(baseline => !baseline.Frozen),
        imagesDropped,
        (ulong)tracked.Count,
        trackedFlowsDropped,
        unjudged);

    /// <summary>Whether any baseline changed since the last <see cref="TakeChanged"/>.</summary>
    public bool HasChanges => changed.Count > 0;

    /// <summary>Learns one flow of one of the image's containers, if the image is still learning.</summary>
    public void Learn(string image, in FlowState flow, long nowUnixNs)
    {
        if (string.IsNullOrEmpty(image))
        {
            return;
        }

        Sweep(nowUnixNs);
        if (BaselineFor(image, nowUnixNs) is not ImageBaseline baseline || !StillLearning(baseline, nowUnixNs))
        {
            return;
        }

        bool inbound = flow.Initiator == FlowInitiator.Remote;
        TxRxRatio shape = TxRxRatios.Of(flow);
        var key = new TrackedFlow(flow.Key, flow.FirstSeenUnixNs);
        if (!tracked.ContainsKey(key) && tracked.Count >= MaxTrackedFlows)
        {
            trackedFlowsDropped++;
            return;
        }

        ref Tracked entry = ref CollectionsMarshal.GetValueRefOrAddDefault(tracked, key, out bool exists);
        if (exists && ReferenceEquals(entry.Baseline, baseline))
        {
            entry.LastLearnedUnixNs = nowUnixNs;
            if (!inbound && entry.Shape != shape)
            {
                baseline.MoveRatio(entry.Shape, shape);
                entry.Shape = shape;
                changed.Add(image);
            }

            return;
        }

        entry = new Tracked(baseline, shape, nowUnixNs);
        if (inbound)
        {
            baseline.AddInbound();
        }
        else
        {
            var destination = BaselineDestination.Of(flow.Key);
            baseline.AddRatio(shape);
            baseline.AddDestination(destination);
            baseline.AddPort(destination.Port);
        }

        baseline.Touch(nowUnixNs);
        changed.Add(image);
        StillLearning(baseline, nowUnixNs);
    }

    /// <summary>Whether the image is still learning (or has not been seen yet, so will learn): such an image is not judged.</summary>
    public bool IsLearning(string image, long nowUnixNs) =>
        !images.TryGetValue(image, out ImageBaseline? baseline) || StillLearning(baseline, nowUnixNs);

    /// <summary>
    /// Judges the flows of one destination of one of the image's containers:
    /// a finding when the image has finished learning, never used the
    /// destination (or, with <see cref="BaselineMatch.Port"/>, its protocol
    /// and port) while learning, and the destination's flows are one-way: at
    /// least one flow the container opened has sent payload and received none
    /// for <see cref="BaselineOptions.MinimumOneWaySeconds"/>, and no flow to
    /// it has received payload. When the baseline's bounded sets overflowed
    /// and cannot prove the destination new, nothing is found, and that is
    /// counted in <see cref="BaselineCounters.Unjudged"/>.
    /// </summary>
    public BaselineFinding? Evaluate(string image, DestinationKey destination, IReadOnlyList<FlowState> flows, long nowUnixNs)
    {
        ArgumentNullException.ThrowIfNull(flows);
        if (string.IsNullOrEmpty(image) || !images.TryGetValue(image, out ImageBaseline? baseline) || StillLearning(baseline, nowUnixNs))
        {
            return null;
        }

        var key = BaselineDestination.Of(destination);
        bool destinationKnown = baseline.Knows(key);
        bool portKnown = baseline.KnowsPort(key.Port);
        if (Options.Match == BaselineMatch.Port ? portKnown : destinationKnown)
        {
            return null;
        }

        List<FlowState>? oneWay = null;
        foreach (FlowState flow in flows)
        {
            if (flow.Rx.PayloadBytes > 0)
            {
                return null;
            }

            if (flow.Initiator == FlowInitiator.Local && flow.Tx.PayloadBytes > 0 && nowUnixNs - flow.FirstSeenUnixNs >= minimumOneWayNs)
            {
                (oneWay ??= []).Add(flow);
            }
        }

        if (oneWay is null)
        {
            return null;
        }

        // a destination absent from an overflowed set may have been dropped; its port can still prove it new
        bool provablyNew = Options.Match == BaselineMatch.Port
            ? baseline.PortsDropped == 0
            : baseline.DestinationsDropped == 0 || (!portKnown && baseline.PortsDropped == 0);
        if (!provablyNew)
        {
            unjudged++;
            return null;
        }

        return new BaselineFinding(
            image,
            destination,
            oneWay,
            Options.Match,
            portKnown,
            baseline.Destinations.Count,
            baseline.Ports.Count,
            baseline.FlowsObserved,
            baseline.OutboundFlows,
            baseline.OneWayShare,
            baseline.FirstLearnedUnixNs,
            baseline.LearnedUntilUnixNs,
            baseline.DestinationsDropped);
    }

    /// <summary>Throws the image's baseline away and starts learning it anew from now (after a planned change).</summary>
    public void Relearn(string image, long nowUnixNs)
    {
        ArgumentException.ThrowIfNullOrEmpty(image);
        if (images.ContainsKey(image) || images.Count < Options.MaxImages)
        {
            // tracked flows of the old baseline no longer match it by reference, and age out
            images[image] = new ImageBaseline(image, nowUnixNs, Options.MaxDestinationsPerImage, Options.MaxPortsPerImage);
            changed.Add(image);
        }
    }

    /// <summary>Copies of the baselines changed since the last call, for <see cref="IBaselineStore.Save"/>; call on the detection thread.</summary>
    public IReadOnlyCollection<ImageBaseline> TakeChanged()
    {
        var copies = new List<ImageBaseline>(changed.Count);
        foreach (string image in changed)
        {
            if (images.TryGetValue(image, out ImageBaseline? baseline))
            {
                copies.Add(baseline.Clone());
            }
        }

        changed.Clear();
        return copies;
    }

    /// <summary>A save of these copies failed: they are taken again by the next <see cref="TakeChanged"/>, with whatever they learned since.</summary>
    public void MarkUnsaved(IEnumerable<ImageBaseline> baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        foreach (ImageBaseline baseline in baselines)
        {
            if (images.ContainsKey(baseline.Image))
            {
                changed.Add(baseline.Image);
            }
        }
    }

    private ImageBaseline? BaselineFor(string image, long nowUnixNs)
    {
        if (images.TryGetValue(image, out ImageBaseline? baseline))
        {
            return baseline;
        }

        if (images.Count >= Options.MaxImages)
        {
            imagesDropped++;
            return null;
        }

        baseline = new ImageBaseline(image, nowUnixNs, Options.MaxDestinationsPerImage, Options.MaxPortsPerImage);
        images[image] = baseline;
        changed.Add(image);
        return baseline;
    }

    /// <summary>Whether the baseline still learns; freezes it (and marks it changed) when learning has just ended.</summary>
    private bool StillLearning(ImageBaseline baseline, long nowUnixNs)
    {
        if (baseline.Frozen)
        {
            return false;
        }

        if (nowUnixNs - baseline.FirstLearnedUnixNs < learningNs || baseline.FlowsObserved < (ulong)Options.MinimumObservations)
        {
            return true;
        }

        // learning ended when the time ran out, or at the flow that completed the observations, whichever came later
        baseline.Freeze(Math.Min(nowUnixNs, Math.Max(baseline.FirstLearnedUnixNs + learningNs, baseline.LastLearnedUnixNs)));
        changed.Add(baseline.Image);
        return false;
    }

    /// <summary>Forgets tracked flows that are gone, or whose baseline froze or was relearned.</summary>
    private void Sweep(long nowUnixNs)
    {
        if (nowUnixNs < nextSweepUnixNs)
        {
            return;
        }

        nextSweepUnixNs = nowUnixNs + SweepIntervalNs;
        foreach ((TrackedFlow key, Tracked entry) in tracked)
        {
            if (nowUnixNs - entry.LastLearnedUnixNs > TrackedIdleNs
                || entry.Baseline.Frozen
                || !images.TryGetValue(entry.Baseline.Image, out ImageBaseline? current)
                || !ReferenceEquals(current, entry.Baseline))
            {
                tracked.Remove(key);
            }
        }
    }

    private readonly record struct TrackedFlow(FlowKey Key, long FirstSeenUnixNs);

    private struct Tracked(ImageBaseline baseline, TxRxRatio shape, long lastLearnedUnixNs)
    {
        public ImageBaseline Baseline = baseline;
        public TxRxRatio Shape = shape;
        public long LastLearnedUnixNs = lastLearnedUnixNs;
    }
}

/// <summary>What the baseline model holds and what it could not hold.</summary>
/// <param name="Images">Images with a baseline.</param>
/// <param name="Learning">Of which still learning.</param>
/// <param name="ImagesDropped">Learn calls (and loaded baselines) for images past <see cref="BaselineOptions.MaxImages"/>: never learned or judged.</param>
/// <param name="TrackedFlows">Learning flows remembered now, so that each counts once.</param>
/// <param name="TrackedFlowsDropped">Learning flows not learned because <see cref="BaselineModel.MaxTrackedFlows"/> were tracked.</param>
/// <param name="Unjudged">Evaluations of a one-way destination that an overflowed baseline could not call new.</param>
public readonly record struct BaselineCounters(
    ulong Images,
    ulong Learning,
    ulong ImagesDropped,
    ulong TrackedFlows,
    ulong TrackedFlowsDropped,
    ulong Unjudged);
