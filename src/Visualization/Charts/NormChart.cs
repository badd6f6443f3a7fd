using System.Globalization;
using Experiments.Visualization.Snapshots;

namespace Experiments.Visualization.Charts;

/// <summary>
/// The L2 norm of a layer's filters (or units) over the epochs, from a <see cref="HealthReport"/>. Up to
/// <see cref="MaxLines"/> filters get a line each, dead ones in red. A larger layer (lenet-matconvnet's 500 units) gets
/// its spread instead: bands between the min and max, the 5th and 95th and the 25th and 75th percentiles of the finite
/// norms at each epoch, and the median as a line. Either way the dead threshold is dashed where a norm comes near it
/// (<see cref="DrawsThreshold"/>) and given in a note otherwise, the dead and NaN (or infinite) filters are named by index
/// in a note, and the figure's size does not depend on the filter count.
/// </summary>
public static class NormChart
{
    /// <summary>Above this many filters a line per filter stops being readable (colours would repeat; the legend outgrows the figure).</summary>
    public const int MaxLines = 12;

    /// <summary>The threshold line is drawn when the lowest norm is within this factor of it (or a filter is dead).</summary>
    public const double ThresholdReach = 10;

    // Indices listed in the note before it says how many more there are (health.json has them all).
    private const int MaxListed = 40;

    /// <summary>
    /// Whether <see cref="Draw"/> draws the layer's dead threshold as a dashed line: when a filter is dead or some norm
    /// comes within <see cref="ThresholdReach"/> of it. Otherwise the line would pin the axis to 0 and squash every
    /// filter into the top of the chart, so a note gives the threshold instead.
    /// </summary>
    public static bool DrawsThreshold(LayerHealth layer, HealthReport report)
    {
        var lowest = layer.Norms.SelectMany(row => row).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();
        return double.IsFinite(layer.DeadThreshold)
            && (report.DeadFilters.Any(d => d.Tensor == layer.Tensor) || !(lowest > ThresholdReach * layer.DeadThreshold));
    }

    public static LineChart Draw(long trial, LayerHealth layer, HealthReport report)
    {
        var noun = layer.Kind == "conv" ? "filter" : "unit";
        var dead = report.DeadFilters.Where(d => d.Tensor == layer.Tensor).OrderBy(d => d.Filter).ToList();
        var nonFinite = Enumerable.Range(0, layer.Filters)
            .Select(f => (Filter: f, Epoch: Enumerable.Range(0, report.Epochs.Count).Where(i => !double.IsFinite(layer.Norms[i][f])).Select(i => (int?)report.Epochs[i]).FirstOrDefault()))
            .Where(x => x.Epoch is not null).ToList();
        var xs = report.Epochs.Select(e => (double)e).ToList();

        var series = new List<LineSeries>();
        var bands = new List<ChartBand>();
        if (layer.Filters <= MaxLines)
        {
            for (var f = 0; f < layer.Filters; f++)
            {
                var filter = f;
                var death = dead.FirstOrDefault(d => d.Filter == filter);
                series.Add(new LineSeries($"{noun} {f}" + (death is null ? "" : $" (dead from epoch {death.FirstEpoch})"),
                    [.. report.Epochs.Select((e, i) => new ChartPoint(e, layer.Norms[i][filter]))],
                    death is null ? ChartCanvas.PaletteWithoutAlert[f % ChartCanvas.PaletteWithoutAlert.Count] : ChartCanvas.Alert));
            }
        }
        else
        {
            var quantiles = layer.Norms.Select(row => Quantiles(row, [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1])).ToList();
            List<double> Q(int k) => [.. quantiles.Select(q => q[k])];
            const string blue = "#1f77b4";
            bands.Add(new ChartBand("min–max", xs, Q(0), Q(6), blue, 0.12));
            bands.Add(new ChartBand("5–95%", xs, Q(1), Q(5), blue, 0.22));
            bands.Add(new ChartBand("25–75%", xs, Q(2), Q(4), blue, 0.38));
            series.Add(new LineSeries("median", [.. xs.Zip(Q(3), (x, y) => new ChartPoint(x, y))], blue));
        }
        var notes = new List<string>();
        if (DrawsThreshold(layer, report))
            series.Add(new LineSeries("dead threshold", [.. xs.Select(x => new ChartPoint(x, layer.DeadThreshold))], "#000000", Dashed: true) { Width = 1.5, Markers = false });
        else if (double.IsFinite(layer.DeadThreshold))
        {
            var lowest = layer.Norms.SelectMany(row => row).Where(double.IsFinite).Min();
            notes.Add($"dead threshold {layer.DeadThreshold.ToString("G3", CultureInfo.InvariantCulture)}, far below every norm (lowest {lowest.ToString("G3", CultureInfo.InvariantCulture)}): no {noun} is near dead");
        }
        if (dead.Count > 0) notes.Add($"dead {noun}s ({dead.Count}): " + Listed(dead.Select(d => $"{d.Filter} (from epoch {d.FirstEpoch})").ToList()));
        if (nonFinite.Count > 0) notes.Add($"NaN or infinite {noun}s ({nonFinite.Count}): " + Listed(nonFinite.Select(n => $"{n.Filter} (from epoch {n.Epoch})").ToList()));
        var summary = layer.Filters <= MaxLines ? $"{layer.Filters} {noun}s" : $"spread of {layer.Filters} {noun}s";
        return new LineChart($"{(layer.Kind == "conv" ? "Filter" : "Unit")} L2 norm per epoch, trial {trial}, {layer.Tensor} ({summary})",
            "epoch", $"L2 norm of each {noun}'s weights", series)
        {
            Bands = bands,
            Notes = notes,
            // Red only when a note names a dead or non-finite filter; the far-away threshold alone is information.
            NotesBorder = dead.Count > 0 || nonFinite.Count > 0 ? ChartCanvas.Alert : ChartCanvas.Neutral,
            WholeX = true,
        };
    }

    private static string Listed(IReadOnlyList<string> items) =>
        items.Count <= MaxListed ? string.Join(", ", items) : string.Join(", ", items.Take(MaxListed)) + $", … ({items.Count - MaxListed} more in health.json)";

    /// <summary>Quantiles of the finite values, interpolated linearly between order statistics (numpy's default); NaN when none is finite.</summary>
    internal static double[] Quantiles(IReadOnlyList<double> values, IReadOnlyList<double> probabilities)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        return [.. probabilities.Select(p =>
        {
            if (sorted.Length == 0) return double.NaN;
            var position = p * (sorted.Length - 1);
            var below = (int)Math.Floor(position);
            var above = Math.Min(below + 1, sorted.Length - 1);
            return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
        })];
    }
}
