namespace Experiments.Analysis.Importance;

/// <summary>
/// One searched parameter's values, one per trial: numbers (drawn on a log scale when <paramref name="Log"/>) or,
/// when <paramref name="Categories"/> is set, categories (an architecture).
/// </summary>
public sealed record SearchedParameter(string Name, IReadOnlyList<double>? Numbers, IReadOnlyList<string>? Categories, bool Log = false);

/// <summary>A parameter's importance, 0–1; a sweep's importances sum to 1 unless all are 0.</summary>
public sealed record ParameterImportance(string Name, double Importance);

/// <summary>
/// Hyperparameter importance on a random search by PED-ANOVA (Watanabe, Bansal &amp; Hutter, "PED-ANOVA: Efficiently
/// Quantifying Hyperparameter Importance in Arbitrary Subspaces", IJCAI 2023), the method optuna-dashboard uses: a
/// parameter matters as much as the distribution of its values among the best trials departs from its distribution
/// among all of them, measured by the Pearson χ² divergence, which the paper shows is the top quantile's
/// fANOVA-style variance share in closed form.
/// </summary>
/// <remarks>
/// The top set is the best <c>max(2, ⌈γ·n⌉)</c> trials (γ = 0.1 by default, as the paper and Optuna use). A numeric
/// parameter is rescaled to [0, 1] over its observed range (log10 first when Log), each set's density is a Gaussian
/// kernel estimate with Scott's bandwidth (at least 0.05 of the range, so a tight top set is not a spike), both read on
/// 50 evenly spaced points and normalised there. A categorical parameter's densities are its categories' shares with
/// one pseudo-count each. The divergence is Σ p_all·(p_top/p_all − 1)², and the divergences are normalised to sum 1.
/// </remarks>
public static class PedAnova
{
    private const int GridPoints = 50;
    private const double MinimumBandwidth = 0.05;

    /// <summary>Each parameter's importance for <paramref name="values"/> (one per trial; larger is better when <paramref name="maximize"/>).</summary>
    /// <exception cref="ArgumentException">A parameter's values are not one per trial, a value is not finite, there are fewer than 3 trials, or γ is not in (0, 1).</exception>
    public static IReadOnlyList<ParameterImportance> Importance(IReadOnlyList<SearchedParameter> parameters, IReadOnlyList<double> values, bool maximize, double topQuantile = 0.1)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 3) throw new ArgumentException($"PED-ANOVA needs at least 3 trials with a value, got {values.Count}", nameof(values));
        if (values.Any(v => !double.IsFinite(v))) throw new ArgumentException("every trial's value must be finite", nameof(values));
        if (topQuantile is <= 0 or >= 1) throw new ArgumentException($"the top quantile must be in (0, 1), got {topQuantile}", nameof(topQuantile));
        var order = Enumerable.Range(0, values.Count).OrderBy(i => maximize ? -values[i] : values[i]).ThenBy(i => i).ToArray();
        var top = order.Take(Math.Max(2, (int)Math.Ceiling(topQuantile * values.Count))).ToArray();
        var all = order;

        var divergences = parameters.Select(p =>
        {
            if ((p.Numbers?.Count ?? p.Categories?.Count) != values.Count)
                throw new ArgumentException($"parameter {p.Name} has {(p.Numbers?.Count ?? p.Categories?.Count ?? 0)} values for {values.Count} trials", nameof(parameters));
            var (pTop, pAll) = p.Categories is { } categories ? CategoryShares(categories, top, all) : Densities(p.Numbers!, p.Log, top, all);
            return pAll.Select((q, i) => q * Math.Pow(pTop[i] / q - 1, 2)).Sum();
        }).ToList();
        var sum = divergences.Sum();
        return [.. parameters.Select((p, i) => new ParameterImportance(p.Name, sum > 0 ? divergences[i] / sum : 0))];
    }

    private static (double[] Top, double[] All) CategoryShares(IReadOnlyList<string> categories, int[] top, int[] all)
    {
        var names = categories.Distinct().ToList();
        double[] Shares(int[] trials) => [.. names.Select(n => (trials.Count(t => categories[t] == n) + 1.0) / (trials.Length + names.Count))];
        return (Shares(top), Shares(all));
    }

    private static (double[] Top, double[] All) Densities(IReadOnlyList<double> numbers, bool log, int[] top, int[] all)
    {
        if (numbers.Any(v => !double.IsFinite(v) || (log && v <= 0))) throw new ArgumentException("a parameter's values must be finite (and positive on a log scale)");
        var scaled = numbers.Select(v => log ? Math.Log10(v) : v).ToArray();
        var (low, high) = (scaled.Min(), scaled.Max());
        var unit = scaled.Select(v => high > low ? (v - low) / (high - low) : 0.5).ToArray();
        var grid = Enumerable.Range(0, GridPoints).Select(i => i / (GridPoints - 1.0)).ToArray();
        double[] Density(int[] trials)
        {
            var points = trials.Select(t => unit[t]).ToArray();
            var mean = points.Average();
            var sd = Math.Sqrt(points.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, points.Length - 1));
            var bandwidth = Math.Max(MinimumBandwidth, 1.06 * sd * Math.Pow(points.Length, -0.2));
            var density = grid.Select(g => points.Sum(x => Math.Exp(-0.5 * Math.Pow((g - x) / bandwidth, 2)))).ToArray();
            var total = density.Sum();
            return [.. density.Select(d => d / total)];
        }
        return (Density(top), Density(all));
    }
}
