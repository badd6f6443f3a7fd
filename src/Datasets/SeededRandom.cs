namespace Experiments.Datasets;

/// <summary>
/// SplitMix64. Splits and synthetic data must come out identical on every machine and every .NET
/// version, and <see cref="Random"/> promises neither for a given seed, so the generator is ours.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _state;

    /// <param name="seed">The user-visible seed (a trial's or a dataset's).</param>
    /// <param name="stream">Separates independent uses of the same seed (the validation split, the test hold-out…).</param>
    public SeededRandom(int seed, ulong stream) => _state = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ stream * 0xD1B54A32D192ED03UL);

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="maxExclusive"/>); the multiply-shift bias is below 2^-32 per draw.</summary>
    public int NextInt(int maxExclusive) => (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public void Shuffle(Span<int> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
