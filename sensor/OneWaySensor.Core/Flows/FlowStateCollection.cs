using System.Collections;

namespace OneWaySensor.Flows;

/// <summary>
/// The table's flows, by value, for a reader: a struct enumerator for
/// <c>foreach</c> (no allocation on the poll's path), and a read-only
/// collection for everything else. Changing the table during an
/// enumeration ends it with an <see cref="InvalidOperationException"/>.
/// </summary>
public readonly struct FlowStateCollection : IReadOnlyCollection<FlowState>, IEquatable<FlowStateCollection>
{
    private readonly FlowStore store;

    internal FlowStateCollection(FlowStore store) => this.store = store;

    public int Count => store.Count;

    public Enumerator GetEnumerator() => new(store);

    IEnumerator<FlowState> IEnumerable<FlowState>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(FlowStateCollection other) => ReferenceEquals(store, other.store);

    public override bool Equals(object? obj) => obj is FlowStateCollection other && Equals(other);

    public override int GetHashCode() => store.GetHashCode();

    public static bool operator ==(FlowStateCollection left, FlowStateCollection right) => left.Equals(right);

    public static bool operator !=(FlowStateCollection left, FlowStateCollection right) => !left.Equals(right);

    public struct Enumerator : IEnumerator<FlowState>
    {
        private readonly FlowStore store;
        private readonly int version;
        private int index;

        internal Enumerator(FlowStore store)
        {
            this.store = store;
            version = store.Version;
            index = -1;
        }

        public readonly FlowState Current => store.States[index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (store.Version != version)
            {
                throw new InvalidOperationException("the flow table changed during an enumeration of its flows");
            }

            return ++index < store.Count;
        }

        public void Reset() => index = -1;

        public readonly void Dispose()
        {
        }
    }
}
