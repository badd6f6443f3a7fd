namespace Experiments.Analysis.Tests.OracleSupport;

/// <summary>
/// One set of predictions to measure: scores (logits, or probabilities already) row-major n×k and labels.
/// The ROC is computed from <see cref="Probabilities"/>: the softmax of logits, or the probabilities themselves.
/// </summary>
internal sealed record MetricsCase(string Name, int Classes, float[] Scores, int[] Labels, bool ScoresAreLogits)
{
    public double[] Probabilities =>
        ScoresAreLogits ? Softmax.FromLogits(Scores, Classes) : [.. Scores.Select(s => (double)s)];

    public override string ToString() => Name;
}

/// <summary>Seeded cases covering ties, never-predicted and absent classes, and perfectly separable predictions.</summary>
internal static class MetricsCases
{
    public static IReadOnlyList<MetricsCase> All { get; } = Build();

    private static List<MetricsCase> Build()
    {
        List<MetricsCase> cases = [];
        foreach (var (n, k, seed) in new[] { (7, 3, 1), (50, 2, 2), (200, 3, 3), (1000, 10, 4), (300, 10, 5) })
            cases.Add(RandomLogits($"random logits n={n} k={k}", seed, n, k));
        foreach (var (n, k, seed) in new[] { (60, 2, 11), (150, 3, 12), (500, 10, 13) })
            cases.Add(QuantisedLogits($"quantised logits with ties n={n} k={k}", seed, n, k));
        foreach (var (n, k, seed) in new[] { (40, 2, 21), (120, 3, 22), (400, 10, 23) })
            cases.Add(QuantisedProbabilities($"probabilities in eighths with ties n={n} k={k}", seed, n, k));
        cases.Add(NeverPredicted("class 2 never predicted n=90 k=3", 31, 90, 3, never: 2));
        cases.Add(NeverPredicted("class 0 never predicted n=400 k=10", 32, 400, 10, never: 0));
        foreach (var (n, k, seed) in new[] { (30, 2, 41), (90, 3, 42), (500, 10, 43) })
            cases.Add(Separable($"perfectly separable n={n} k={k}", seed, n, k));
        cases.Add(AbsentLabel("class 1 absent from the labels n=80 k=3", 51, 80, 3, absent: 1));
        cases.Add(AbsentLabel("class 7 absent from the labels n=300 k=10", 52, 300, 10, absent: 7));
        cases.Add(new MetricsCase("every score equal n=20 k=3", 3, new float[60], Labels(new Random(61), 20, 3), true));
        cases.Add(new MetricsCase("a single class in the labels n=15 k=2", 2, Uniform(new Random(62), 30, -2, 2), new int[15], true));
        return cases;
    }

    private static MetricsCase RandomLogits(string name, int seed, int n, int k)
    {
        var random = new Random(seed);
        var labels = Labels(random, n, k);
        var logits = Uniform(random, n * k, -3, 3);
        // Lean towards the true class, so the figures are neither trivial nor chance.
        for (var i = 0; i < n; i++) logits[i * k + labels[i]] += (float)(2 * random.NextDouble());
        return new MetricsCase(name, k, logits, labels, true);
    }

    private static MetricsCase QuantisedLogits(string name, int seed, int n, int k)
    {
        var random = new Random(seed);
        var labels = Labels(random, n, k);
        // Five levels only: many rows tie in their arg-max and many probabilities are exactly equal.
        var logits = new float[n * k];
        for (var i = 0; i < logits.Length; i++) logits[i] = random.Next(-2, 3) * 0.5f;
        for (var i = 0; i < n; i++)
            if (random.Next(2) == 0) logits[i * k + labels[i]] = 1f;
        return new MetricsCase(name, k, logits, labels, true);
    }

    private static MetricsCase QuantisedProbabilities(string name, int seed, int n, int k)
    {
        var random = new Random(seed);
        var labels = Labels(random, n, k);
        // Eight eighths dealt out to the classes: rows sum to exactly 1 and scores tie everywhere.
        var probabilities = new float[n * k];
        for (var i = 0; i < n; i++)
            for (var share = 0; share < 8; share++)
            {
                var c = random.Next(3) == 0 ? labels[i] : random.Next(k);
                probabilities[i * k + c] += 0.125f;
            }
        return new MetricsCase(name, k, probabilities, labels, false);
    }

    private static MetricsCase NeverPredicted(string name, int seed, int n, int k, int never)
    {
        var @case = RandomLogits(name, seed, n, k);
        for (var i = 0; i < n; i++) @case.Scores[i * k + never] = -20f;
        return @case;
    }

    private static MetricsCase Separable(string name, int seed, int n, int k)
    {
        var random = new Random(seed);
        var labels = Labels(random, n, k);
        var logits = Uniform(random, n * k, -1, 1);
        for (var i = 0; i < n; i++) logits[i * k + labels[i]] = 5f + (float)random.NextDouble();
        return new MetricsCase(name, k, logits, labels, true);
    }

    private static MetricsCase AbsentLabel(string name, int seed, int n, int k, int absent)
    {
        var @case = RandomLogits(name, seed, n, k);
        for (var i = 0; i < n; i++)
            if (@case.Labels[i] == absent) @case.Labels[i] = (absent + 1) % k;
        return @case;
    }

    private static int[] Labels(Random random, int n, int k) => [.. Enumerable.Range(0, n).Select(_ => random.Next(k))];

    private static float[] Uniform(Random random, int count, double low, double high) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)(low + (high - low) * random.NextDouble()))];
}
