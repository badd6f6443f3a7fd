namespace Experiments.Analysis.Importance;

/// <summary>One run of a factorial design: the level of each factor (in the factors' order) and the measured value.</summary>
public sealed record FactorialRun(IReadOnlyList<string> Levels, double Value);

/// <summary>
/// A factor's main effect: the variance of the means of its levels (each averaged over every other factor), and that
/// variance's share of the total variance of the cells, 0–1.
/// </summary>
public sealed record MainEffect(string Factor, double Variance, double Share);

/// <summary>
/// The exact functional-ANOVA decomposition of a full factorial's cell means: each factor's main effect, the total
/// variance (population variance of the cell means) and the share left to interactions (1 − the main effects' shares).
/// Cells is the number of cells; Runs the number of runs averaged into them (repeats of a cell are averaged first).
/// </summary>
public sealed record FactorialDecomposition(IReadOnlyList<MainEffect> MainEffects, double TotalVariance, double InteractionShare, int Cells, int Runs);

/// <summary>
/// Hyperparameter importance on a grid sweep: functional ANOVA (Hooker 2007; as fANOVA uses it, Hutter, Hoos &amp;
/// Leyton-Brown, ICML 2014) is exact on a full factorial with the uniform measure over its levels, so no model is
/// fitted: the function is the table of cell means itself.
/// </summary>
/// <remarks>
/// With cell means μ_c over the C cells of a full factorial, grand mean m = mean(μ_c) and total variance
/// V = mean((μ_c − m)²), factor k's main effect f_k(l) = mean of μ_c over the cells at level l, minus m, and its
/// variance V_k = mean over the levels of f_k(l)². The main effects are orthogonal on a balanced grid, so
/// Σ V_k ≤ V and the rest is interactions. On a grid with missing cells this no longer holds, so it is refused.
/// </remarks>
public static class MainEffectAnova
{
    /// <summary>
    /// Decomposes <paramref name="runs"/> (each with one level per factor of <paramref name="factors"/>). A factor
    /// with a single level explains nothing and gets 0. When every cell has the same mean the shares are NaN.
    /// </summary>
    /// <exception cref="ArgumentException">A run's levels do not match the factors, a value is not finite, or a cell of the
    /// full factorial has no run (the message names the first such cells).</exception>
    public static FactorialDecomposition Decompose(IReadOnlyList<string> factors, IReadOnlyList<FactorialRun> runs)
    {
        ArgumentNullException.ThrowIfNull(factors);
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new ArgumentException("there are no runs to decompose", nameof(runs));
        foreach (var run in runs)
        {
            if (run.Levels.Count != factors.Count) throw new ArgumentException($"a run has {run.Levels.Count} levels for {factors.Count} factors", nameof(runs));
            if (!double.IsFinite(run.Value)) throw new ArgumentException($"a run's value is {run.Value}; every run needs a finite value", nameof(runs));
        }
        var levels = Enumerable.Range(0, factors.Count).Select(k => runs.Select(r => r.Levels[k]).Distinct().ToList()).ToList();
        var cells = runs.GroupBy(r => string.Join('\u001f', r.Levels)).ToDictionary(g => g.Key, g => (g.First().Levels, Mean: g.Average(r => r.Value)));
        var expected = levels.Aggregate(1L, (n, l) => n * l.Count);
        if (cells.Count != expected)
        {
            var missing = Product(levels).Where(c => !cells.ContainsKey(string.Join('\u001f', c))).Take(3)
                .Select(c => string.Join(" ", c.Select((level, k) => $"{factors[k]}={level}")));
            throw new ArgumentException($"the grid is not full: {cells.Count} of {expected} cells have a value; missing, for one, {string.Join("; ", missing)}", nameof(runs));
        }
        var grand = cells.Values.Average(c => c.Mean);
        var total = cells.Values.Average(c => (c.Mean - grand) * (c.Mean - grand));
        var effects = factors.Select((factor, k) =>
        {
            var variance = cells.Values.GroupBy(c => c.Levels[k]).Average(g => Math.Pow(g.Average(c => c.Mean) - grand, 2));
            return new MainEffect(factor, variance, total > 0 ? variance / total : double.NaN);
        }).ToList();
        return new FactorialDecomposition(effects, total, total > 0 ? 1 - effects.Sum(e => e.Share) : double.NaN, cells.Count, runs.Count);
    }

    private static IEnumerable<IReadOnlyList<string>> Product(IReadOnlyList<List<string>> levels) =>
        levels.Aggregate<List<string>, IEnumerable<IReadOnlyList<string>>>([[]], (partial, axis) => partial.SelectMany(p => axis.Select(l => (IReadOnlyList<string>)[.. p, l])));
}
