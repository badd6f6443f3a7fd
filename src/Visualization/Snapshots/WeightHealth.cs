namespace Experiments.Visualization.Snapshots;

/// <summary>
/// The L2 norm of every filter (conv, OIHW) or unit (linear, [out, in]) of one layer at every epoch.
/// A norm is NaN or ∞ when the filter holds a NaN or an infinity.
/// </summary>
/// <param name="Norms">One row per epoch (in <see cref="HealthReport.Epochs"/> order), one norm per filter.</param>
/// <param name="InitialMedianNorm">The median finite norm at the first epoch examined (normally epoch 0, the untrained model).</param>
/// <param name="DeadThreshold">Norms below this are dead: <see cref="HealthReport.DeadFraction"/> × the initial median.</param>
public sealed record LayerHealth(string Tensor, string Kind, int Filters, double InitialMedianNorm, double DeadThreshold, IReadOnlyList<IReadOnlyList<double>> Norms);

/// <summary>A filter whose norm fell below its layer's dead threshold; <see cref="Epochs"/> lists every epoch it was below.</summary>
public sealed record DeadFilter(string Tensor, int Filter, int FirstEpoch, IReadOnlyList<int> Epochs, double LastNorm)
{
    /// <summary>The one wording of a dead filter, for <c>viz health</c> and the dashboard.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"dead: {Tensor} filter {Filter}, norm below threshold from epoch {FirstEpoch} (epochs {Experiments.Architectures.RangeText.List(Epochs)}), last norm {LastNorm:G3}");
}

/// <summary>A weight tensor holding NaN or infinite values at one epoch; FirstIndex is the flat index of the first one.</summary>
public sealed record NonFiniteWeights(int Epoch, string Tensor, int NaNs, int Infinities, long FirstIndex)
{
    /// <summary>The one wording of non-finite weights, for <c>viz health</c> and the dashboard.</summary>
    public override string ToString() => $"non-finite: epoch {Epoch}, {Tensor}: {NaNs} NaN, {Infinities} infinite (first at flat index {FirstIndex})";
}

/// <summary>What <see cref="WeightHealth.Examine"/> found: norms per layer, dead filters and non-finite weights.</summary>
public sealed record HealthReport(double DeadFraction, IReadOnlyList<int> Epochs, IReadOnlyList<LayerHealth> Layers,
    IReadOnlyList<DeadFilter> DeadFilters, IReadOnlyList<NonFiniteWeights> NonFinite)
{
    public bool Healthy => DeadFilters.Count == 0 && NonFinite.Count == 0;
}

/// <summary>
/// Health checks over stored snapshots (000 saw its second conv layer's weights go to zero and its feature maps turn
/// NaN). Pure: snapshots in, report out.
/// <list type="bullet">
/// <item>Filter norms: the L2 norm of each conv filter and linear unit at each epoch.</item>
/// <item>Dead filters: a norm below <c>deadFraction</c> (default 1e-3) times the layer's median norm at the first
/// epoch. Relative to the layer's own start because initial scales differ by orders of magnitude between layers
/// (Kaiming-style init scales with fan-in).</item>
/// <item>Non-finite weights: every float32 model tensor (biases, batch-norm statistics included) is scanned for NaN
/// and ±∞ at every epoch.</item>
/// </list>
/// </summary>
public static class WeightHealth
{
    public const double DefaultDeadFraction = 1e-3;

    public static HealthReport Examine(IReadOnlyList<EpochSnapshot> snapshots, double deadFraction = DefaultDeadFraction)
    {
        if (snapshots.Count == 0) throw new ArgumentException("there are no stored snapshots to examine");
        var ordered = snapshots.OrderBy(s => s.Epoch).ToList();
        var epochs = ordered.Select(s => s.Epoch).ToList();

        var nonFinite = new List<NonFiniteWeights>();
        var norms = new Dictionary<string, (string Kind, List<double[]> PerEpoch)>();
        var layerOrder = new List<string>();
        foreach (var snapshot in ordered)
        {
            foreach (var weight in snapshot.ModelWeights())
            {
                var (nans, infinities, first) = CountNonFinite(weight.Values);
                if (nans + infinities > 0) nonFinite.Add(new NonFiniteWeights(snapshot.Epoch, weight.Name, nans, infinities, first));
                if (!weight.IsConvWeight && !weight.IsLinearWeight) continue;
                if (!norms.TryGetValue(weight.Name, out var layer))
                {
                    layer = (weight.IsConvWeight ? "conv" : "linear", []);
                    norms[weight.Name] = layer;
                    layerOrder.Add(weight.Name);
                }
                var row = new double[weight.Shape[0]];
                for (var f = 0; f < row.Length; f++) row[f] = L2(weight.Filter(f));
                layer.PerEpoch.Add(row);
            }
        }

        var layers = new List<LayerHealth>();
        var dead = new List<DeadFilter>();
        foreach (var name in layerOrder)
        {
            var (kind, perEpoch) = norms[name];
            if (perEpoch.Count != epochs.Count)
                throw new ArgumentException($"tensor '{name}' is missing from some snapshots ({perEpoch.Count} of {epochs.Count} epochs)");
            var median = Median(perEpoch[0].Where(double.IsFinite));
            var threshold = deadFraction * median;
            layers.Add(new LayerHealth(name, kind, perEpoch[0].Length, median, threshold, perEpoch));
            for (var f = 0; f < perEpoch[0].Length; f++)
            {
                var below = Enumerable.Range(0, epochs.Count).Where(e => perEpoch[e][f] < threshold).Select(e => epochs[e]).ToList();
                if (below.Count > 0) dead.Add(new DeadFilter(name, f, below[0], below, perEpoch[^1][f]));
            }
        }
        return new HealthReport(deadFraction, epochs, layers, dead, nonFinite);
    }

    // Accumulated in double: a filter of thousands of float32 squares would lose digits in float.
    private static double L2(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += (double)v * v;
        return Math.Sqrt(sum);
    }

    private static (int NaNs, int Infinities, long First) CountNonFinite(float[] values)
    {
        var (nans, infinities, first) = (0, 0, -1L);
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i])) continue;
            if (float.IsNaN(values[i])) nans++; else infinities++;
            if (first < 0) first = i;
        }
        return (nans, infinities, first);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return double.NaN;
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
