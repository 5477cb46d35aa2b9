using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using OneWaySensor.Containers;
using OneWaySensor.Containers.Engine;

namespace OneWaySensor.Tests.Containers.Engine;

/// <summary>
/// An engine in memory: containers the test adds and removes, an event
/// stream per subscription the test writes to, ends or breaks, and
/// subscriptions that fail on demand (an engine that is down).
/// </summary>
internal sealed class FakeContainerEngine : IContainerEngine
{
    private Channel<RuntimeEvent> stream = Channel.CreateUnbounded<RuntimeEvent>();
    private int inspects;
    private int lists;
    private int subscriptions;

    public ConcurrentDictionary<string, ContainerMetadata> Containers { get; } = new(StringComparer.Ordinal);

    /// <summary>Ids inspected, in order.</summary>
    public ConcurrentQueue<string> Inspected { get; } = new();

    /// <summary>Stopwatch timestamps of every subscription attempt.</summary>
    public ConcurrentQueue<long> SubscriptionTimes { get; } = new();

    /// <summary>Subscriptions (counting from 1) up to this one fail as if the engine were down.</summary>
    public int FailSubscriptionsUpTo { get; set; }

    /// <summary>When set, inspects wait for it (a slow engine).</summary>
    public TaskCompletionSource? InspectGate { get; set; }

    public int Inspects => Volatile.Read(ref inspects);

    public int Lists => Volatile.Read(ref lists);

    public int Subscriptions => Volatile.Read(ref subscriptions);

    public static ContainerMetadata Container(string id, string name) => new() { Id = id, Name = name, Image = "alpine:latest" };

    public void Add(string id, string name) => Containers[id] = Container(id, name);

    public async Task<ContainerMetadata?> InspectAsync(string id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref inspects);
        Inspected.Enqueue(id);
        if (InspectGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        return Containers.GetValueOrDefault(id);
    }

    public Task<IReadOnlyList<string>> ListContainerIdsAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref lists);
        return Task.FromResult<IReadOnlyList<string>>([.. Containers.Keys]);
    }

    public async IAsyncEnumerable<RuntimeEvent> EventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int attempt = Interlocked.Increment(ref subscriptions);
        SubscriptionTimes.Enqueue(Stopwatch.GetTimestamp());
        if (attempt <= FailSubscriptionsUpTo)
        {
            throw new EngineUnavailableException("container engine socket /fake.sock is unavailable: no such socket");
        }

        var current = Channel.CreateUnbounded<RuntimeEvent>();
        Volatile.Write(ref stream, current);
        await foreach (RuntimeEvent runtimeEvent in current.Reader.ReadAllAsync(cancellationToken))
        {
            yield return runtimeEvent;
        }
    }

    /// <summary>Sends an event on the current subscription.</summary>
    public void Publish(RuntimeEvent runtimeEvent) => Assert.True(Volatile.Read(ref stream).Writer.TryWrite(runtimeEvent));

    /// <summary>Ends the current subscription cleanly, as an engine restart does.</summary>
    public void EndStream() => Volatile.Read(ref stream).Writer.TryComplete();

    /// <summary>Breaks the current subscription, as a connection lost mid-stream does.</summary>
    public void BreakStream() => Volatile.Read(ref stream).Writer.TryComplete(new EngineUnavailableException("container engine at /fake.sock broke off the event stream"));
}
