using System.Runtime.CompilerServices;

namespace OneWaySensor.Connections;

/// <summary>
/// Zeek's connection history: one letter per kind of packet seen, the first
/// time it is seen from each side (upper case from the originator, lower
/// case from the responder), in order; '^' when the roles were flipped.
/// Held inline (at most <see cref="Capacity"/> letters) so tracking a
/// packet allocates nothing.
/// </summary>
public struct ConnectionHistory
{
    public const int Capacity = 32;

    private Letters letters;
    private int length;
    private uint seen;

    /// <summary>Adds <paramref name="code"/> unless this kind was seen from this side before; true when it had been seen.</summary>
    public bool Check(HistoryKind kind, bool fromOriginator, char code)
    {
        uint bit = 1u << ((int)kind + (fromOriginator ? 0 : 16));
        if ((seen & bit) != 0)
        {
            return true;
        }

        seen |= bit;
        Add(fromOriginator ? code : char.ToLowerInvariant(code));
        return false;
    }

    public void Add(char code)
    {
        if (length < Capacity)
        {
            letters[length++] = code;
        }
    }

    public override readonly string ToString()
    {
        Span<char> text = stackalloc char[Capacity];
        for (int i = 0; i < length; i++)
        {
            text[i] = letters[i];
        }

        return new string(text[..length]);
    }

    [InlineArray(Capacity)]
    private struct Letters
    {
        private char first;
    }
}

/// <summary>The kinds of packet the history records once per side.</summary>
public enum HistoryKind
{
    Syn,
    Fin,
    Rst,
    FinRst,
    MultiFlag,
    Data,
    Ack,
    BadChecksum,
}
