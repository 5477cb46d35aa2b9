using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace OneWaySensor.Flows;

/// <summary>
/// The flow table's storage: each flow's state once, by value, in one dense
/// array, found through an open-addressing index of 8-byte slots (linear
/// probing, at most half full, deletion by backward shift, so no
/// tombstones). Both double together when the states are full. The key
/// is the state's own <see cref="FlowState.Key"/>.
/// <para>
/// Why not <c>Dictionary&lt;FlowKey, FlowState&gt;</c>, which this replaced:
/// its entry held the key twice (as the key and in the state), so each
/// flow took 312 bytes over five cache lines, and a look-up walked a
/// bucket array and a chain through those entries; and ReadyToRun cannot
/// precompile a CoreLib generic over the sensor's own structs, so a
/// freshly started sensor ran its busiest look-ups on unoptimized code.
/// Here a look-up reads a slot (the index, 16 bytes a flow, mostly stays in
/// the cache) and compares the one state whose hash matches, and a caller
/// that knows its next keys can have their states fetched ahead
/// (<see cref="Prefetch"/>).
/// </para>
/// <para>
/// A removal moves the last state into the hole, so the states stay dense
/// and are enumerated as an array; a ref into the store is valid until the
/// next addition or removal.
/// </para>
/// </summary>
internal sealed class FlowStore
{
    private const int MinimumCapacity = 16;

    private Slot[] slots;
    private FlowState[] states;
    private int count;
    private int shift;
    private int version;

    public FlowStore(int capacity)
    {
        capacity = Math.Max(capacity, MinimumCapacity);
        states = new FlowState[capacity];
        slots = new Slot[SlotsFor(capacity)];
        shift = 64 - System.Numerics.BitOperations.Log2((uint)slots.Length);
    }

    public int Count => count;

    /// <summary>Changes with every addition and removal: an enumeration checks it.</summary>
    public int Version => version;

    /// <summary>The states in use, by reference; valid until the next addition or removal.</summary>
    public Span<FlowState> States => states.AsSpan(0, count);

    /// <summary>The flow's state, or a null ref when the store does not have it.</summary>
    public ref FlowState Find(in FlowKey key)
    {
        int index = SlotOf(key, (uint)key.GetHashCode(), out _);
        return ref index < 0 ? ref Unsafe.NullRef<FlowState>() : ref states[slots[index].State];
    }

    /// <summary>The flow's state; a new one (default but for its key) when the store did not have it.</summary>
    public ref FlowState GetOrAdd(in FlowKey key, out bool exists)
    {
        uint hash = (uint)key.GetHashCode();
        int index = SlotOf(key, hash, out int free);
        exists = index >= 0;
        if (exists)
        {
            return ref states[slots[index].State];
        }

        if (count == states.Length)
        {
            Grow();
            SlotOf(key, hash, out free);
        }

        int state = count++;
        version++;
        slots[free] = new Slot(hash, state);
        ref FlowState added = ref states[state];
        added.Key = key;
        return ref added;
    }

    /// <summary>Takes the flow out, handing back its last state.</summary>
    public bool Remove(in FlowKey key, out FlowState removed)
    {
        int index = SlotOf(key, (uint)key.GetHashCode(), out _);
        if (index < 0)
        {
            removed = default;
            return false;
        }

        int state = slots[index].State;
        removed = states[state];
        RemoveSlot(index);
        int last = count - 1;
        if (state != last)
        {
            // the last state fills the hole, and its slot follows it
            int moved = SlotOfState(states[last].Key, last);
            slots[moved] = new Slot(slots[moved].Hash, state);
            states[state] = states[last];
        }

        states[last] = default;
        count--;
        version++;
        return true;
    }

    /// <summary>
    /// Asks the processor to bring the flow's state into the cache without
    /// waiting for it, for a caller that knows its next keys: the poll's
    /// readings come in the kernel map's order, and each state is a cache
    /// miss at scale. A hint: it changes nothing, and does nothing without
    /// SSE. It reads the key's slot, which is usually in the cache.
    /// </summary>
    public unsafe void Prefetch(in FlowKey key)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        uint hash = (uint)key.GetHashCode();
        int mask = slots.Length - 1;
        for (int index = Home(hash); slots[index].Used; index = (index + 1) & mask)
        {
            if (slots[index].Hash == hash)
            {
                // unpinned: were the array moved meanwhile, a prefetch of the old address does no harm
                byte* state = (byte*)Unsafe.AsPointer(ref states[slots[index].State]);
                for (int line = 0; line < Unsafe.SizeOf<FlowState>(); line += 64)
                {
                    Sse.Prefetch0(state + line);
                }

                return;
            }
        }
    }

    /// <summary>The key's slot, or -1 with <paramref name="free"/> the empty slot where it would go.</summary>
    private int SlotOf(in FlowKey key, uint hash, out int free)
    {
        int mask = slots.Length - 1;
        int index = Home(hash);
        while (slots[index].Used)
        {
            if (slots[index].Hash == hash && states[slots[index].State].Key == key)
            {
                free = -1;
                return index;
            }

            index = (index + 1) & mask;
        }

        free = index;
        return -1;
    }

    /// <summary>The slot that points at <paramref name="state"/>, whose key is <paramref name="key"/>.</summary>
    private int SlotOfState(in FlowKey key, int state)
    {
        int mask = slots.Length - 1;
        int index = Home((uint)key.GetHashCode());
        while (slots[index].State != state)
        {
            index = (index + 1) & mask;
        }

        return index;
    }

    /// <summary>Empties a slot and shifts back the slots after it that would no longer be found past the gap.</summary>
    private void RemoveSlot(int gap)
    {
        int mask = slots.Length - 1;
        for (int index = (gap + 1) & mask; slots[index].Used; index = (index + 1) & mask)
        {
            // a slot may move back into the gap only if its home does not lie cyclically in (gap, index]
            int home = Home(slots[index].Hash);
            bool homeAfterGap = gap <= index ? home > gap && home <= index : home > gap || home <= index;
            if (!homeAfterGap)
            {
                slots[gap] = slots[index];
                gap = index;
            }
        }

        slots[gap] = default;
    }

    /// <summary>Doubles the states, and rebuilds the index for them.</summary>
    private void Grow()
    {
        Array.Resize(ref states, states.Length * 2);
        slots = new Slot[SlotsFor(states.Length)];
        shift = 64 - System.Numerics.BitOperations.Log2((uint)slots.Length);
        int mask = slots.Length - 1;
        for (int state = 0; state < count; state++)
        {
            uint hash = (uint)states[state].Key.GetHashCode();
            int index = Home(hash);
            while (slots[index].Used)
            {
                index = (index + 1) & mask;
            }

            slots[index] = new Slot(hash, state);
        }
    }

    /// <summary>A power of two that holds <paramref name="capacity"/> states at most half full: short probe sequences, for 16 bytes a flow.</summary>
    private static int SlotsFor(int capacity) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity * 2);

    /// <summary>Fibonacci hashing: the top bits of the product, so every bit of the hash counts.</summary>
    private int Home(uint hash) => (int)((hash * 0x9E3779B97F4A7C15ul) >> shift);

    /// <summary>An index entry: the key's hash (most misses end here, before the state is read) and its state's position, plus one (0 is empty).</summary>
    private readonly struct Slot(uint hash, int state)
    {
        public readonly uint Hash = hash;
        private readonly int statePlusOne = state + 1;

        public bool Used => statePlusOne != 0;

        public int State => statePlusOne - 1;
    }
}
