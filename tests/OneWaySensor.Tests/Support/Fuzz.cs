using System.Globalization;

namespace OneWaySensor.Tests.Support;

/// <summary>
/// Seeded random inputs for the bad-input tests, bounded so CI runs them in
/// seconds. By hand, <c>OWS_FUZZ_SCALE=N</c> runs every case count N times
/// over, and <c>OWS_FUZZ_SEED=S</c> explores (or replays) another stream of
/// cases. A failure names the seed and the case, which is all it takes to
/// run that case again.
/// </summary>
internal static class Fuzz
{
    public const string ScaleVariable = "OWS_FUZZ_SCALE";
    public const string SeedVariable = "OWS_FUZZ_SEED";

    private static readonly int Scale = Positive(ScaleVariable, 1);
    private static readonly int Seed = Positive(SeedVariable, 20261128);

    /// <summary>Runs <paramref name="check"/> on <paramref name="cases"/> (times the scale) seeded generators, one per case.</summary>
    public static void Cases(int cases, Action<Random> check)
    {
        ArgumentNullException.ThrowIfNull(check);
        for (int i = 0; i < cases * Scale; i++)
        {
            try
            {
                check(new Random(unchecked((Seed * 1_000_003) + i))); // HashCode is seeded per process: not repeatable
            }
            catch (Exception failure)
            {
                throw new InvalidOperationException($"fuzz case {i} of seed {Seed} failed ({SeedVariable}={Seed} repeats it): {failure.Message}", failure);
            }
        }
    }

    /// <summary><paramref name="length"/> random bytes.</summary>
    public static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// A copy of <paramref name="original"/> with a few random damages: bytes
    /// overwritten with random or boundary values (0, 0xff, 0x7f, 0x80), bytes
    /// removed or inserted, or the tail cut off.
    /// </summary>
    public static byte[] Mutate(Random random, ReadOnlySpan<byte> original)
    {
        List<byte> bytes = [.. original];
        int damages = 1 + random.Next(4);
        for (int d = 0; d < damages; d++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    byte[] boundaries = [0x00, 0xff, 0x7f, 0x80];
                    bytes[at] = boundaries[random.Next(boundaries.Length)];
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(8)));
                    break;
                case 3:
                    bytes.InsertRange(at, Bytes(random, 1 + random.Next(8)));
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    private static int Positive(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0 ? value : fallback;
}
