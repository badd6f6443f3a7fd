using System.Text;

namespace Experiments.Coordinator;

/// <summary>
/// Turns a validated sweep into its trials. Deterministic: the same spec gives the same trials in the same order.
/// </summary>
/// <remarks>
/// Order: grid combinations first (axes in file order, the last axis varying fastest, like itertools.product),
/// then each of the random samples, then repeats innermost. The random samples are drawn once, from
/// <see cref="RandomSearch.Seed"/>, and the same samples are crossed with every grid combination.
/// </remarks>
public static class SweepExpander
{
    public static IReadOnlyList<TrialSpec> Expand(SweepSpec spec)
    {
        var samples = Sample(spec.Random);
        var trials = new List<TrialSpec>();
        foreach (var combination in Combinations(spec.Grid))
        foreach (var sample in samples)
        {
            var assigned = combination.Concat(sample).ToList();
            var parameters = assigned.Aggregate(spec.Constants, (p, a) => p.With(a.Parameter, a.Value));
            for (var repeat = 0; repeat < spec.Repeats; repeat++)
            {
                var seed = spec.Seed + repeat;
                trials.Add(new TrialSpec(
                    trials.Count, Label(assigned, seed),
                    parameters.Architecture ?? throw new InvalidOperationException("a validated sweep always resolves an architecture"),
                    spec.Dataset, parameters.LearningRate, parameters.WeightDecay, parameters.LrDecay, parameters.Optimizer,
                    parameters.Momentum, parameters.BatchSize, parameters.Epochs, parameters.ValSplit, seed, repeat, parameters.Limit));
            }
        }
        return trials;
    }

    private static IEnumerable<List<(string Parameter, object Value)>> Combinations(IReadOnlyList<GridAxis> grid)
    {
        IEnumerable<List<(string, object)>> combinations = [[]];
        foreach (var axis in grid)
            combinations = combinations.SelectMany(c => axis.Values.Select(v => new List<(string, object)>(c) { (axis.Parameter, v) })).ToList();
        return combinations;
    }

    private static List<List<(string Parameter, object Value)>> Sample(RandomSearch? search)
    {
        if (search is null) return [[]];
        // System.Random with a seed uses a fixed algorithm across .NET versions, so samples are reproducible.
        var random = new Random(search.Seed);
        var samples = new List<List<(string, object)>>(search.Samples);
        for (var i = 0; i < search.Samples; i++)
            samples.Add([.. search.Parameters.Select(p => (p.Parameter, Draw(p.Distribution, random)))]);
        return samples;
    }

    internal static object Draw(Distribution distribution, Random random) => distribution switch
    {
        UniformDistribution u => u.Min + (u.Max - u.Min) * random.NextDouble(),
        LogUniformDistribution l => Math.Clamp(Math.Exp(Math.Log(l.Min) + (Math.Log(l.Max) - Math.Log(l.Min)) * random.NextDouble()), l.Min, l.Max),
        ChoiceDistribution c => c.Values[random.Next(c.Values.Count)],
        _ => throw new ArgumentOutOfRangeException(nameof(distribution), distribution, "unknown distribution"),
    };

    /// <summary>The swept values and the seed, e.g. <c>arch=ffnn-100 lr=1e-3 seed=1</c>.</summary>
    private static string Label(List<(string Parameter, object Value)> assigned, int seed)
    {
        var label = new StringBuilder();
        foreach (var (parameter, value) in assigned)
            label.Append(parameter).Append('=').Append(SweepParameters.Label(value)).Append(' ');
        return label.Append("seed=").Append(seed).ToString();
    }
}
