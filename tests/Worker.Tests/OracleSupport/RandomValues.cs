namespace Experiments.Worker.Tests.OracleSupport;

/// <summary>Seeded uniform draws, so a failing oracle case can be replayed from its seed.</summary>
internal static class RandomValues
{
    public static float[] Uniform(Random random, long count, double low, double high)
    {
        var values = new float[count];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(low + (high - low) * random.NextDouble());
        return values;
    }

    public static float[] Symmetric(Random random, long count, double bound) => Uniform(random, count, -bound, bound);
}
