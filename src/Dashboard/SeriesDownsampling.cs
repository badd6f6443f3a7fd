using Experiments.Store;

namespace Experiments.Dashboard;

/// <summary>One curve as the browser draws it: x (epochs) ascending, y with null where nothing was measured or the value is not finite.</summary>
public sealed record CurvePoints(IReadOnlyList<double> X, IReadOnlyList<double?> Y);

/// <summary>
/// Thins a curve to what a plot of a given width can show, as W&amp;B does: the x range is cut into one bucket per
/// pixel column, and each bucket keeps its lowest and highest point and its last one (in x order, each point once). A
/// spike or a dip survives, and the line ends where the data ends. At most 3 points per bucket reach the browser.
/// </summary>
public static class SeriesDownsampling
{
    /// <summary>
    /// <paramref name="curve"/> unchanged when it has no more points than <paramref name="buckets"/>; otherwise its
    /// min/max/last per bucket. Null y values never count as a minimum or maximum.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="buckets"/> is below 1.</exception>
    public static CurvePoints MinMaxLast(CurvePoints curve, int buckets)
    {
        ArgumentNullException.ThrowIfNull(curve);
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        var count = curve.X.Count;
        if (count <= buckets) return curve;
        var (first, last) = (curve.X[0], curve.X[count - 1]);
        var span = last - first;
        var kept = new List<int>();
        var start = 0;
        while (start < count)
        {
            var bucket = Bucket(curve.X[start]);
            var end = start;
            while (end + 1 < count && Bucket(curve.X[end + 1]) == bucket) end++;
            int? lowest = null, highest = null;
            for (var i = start; i <= end; i++)
            {
                if (curve.Y[i] is not { } y) continue;
                if (lowest is null || y < curve.Y[lowest.Value]) lowest = i;
                if (highest is null || y > curve.Y[highest.Value]) highest = i;
            }
            kept.AddRange(new[] { lowest, highest, end }.OfType<int>().Distinct().Order());
            start = end + 1;
        }
        return new CurvePoints(kept.ConvertAll(i => curve.X[i]), kept.ConvertAll(i => curve.Y[i]));

        int Bucket(double x) => span <= 0 ? 0 : Math.Min(buckets - 1, (int)((x - first) / span * buckets));
    }
}

/// <summary>One trial's learning curves from its recorded epochs, as the compare page and the trial page draw them.</summary>
internal static class TrialCurves
{
    /// <summary>The width, in pixels, the trial page's curves are cut to: wider than its charts.</summary>
    public const int TrialPageWidth = 1200;

    /// <summary>Each split's loss and accuracy, in the order the charts list them (losses in nats, accuracies as fractions).</summary>
    private static readonly IReadOnlyList<(string Metric, Func<EpochRecord, double?> Read)> Metrics =
    [
        ("train_loss", e => e.Train?.Loss), ("val_loss", e => e.Validation?.Loss), ("test_loss", e => e.Test?.Loss),
        ("train_accuracy", e => e.Train?.Accuracy), ("val_accuracy", e => e.Validation?.Accuracy), ("test_accuracy", e => e.Test?.Accuracy),
    ];

    /// <summary>
    /// The curves of the trained epochs (epoch 0 is the untrained baseline, as on the sweep page), each cut to
    /// <paramref name="width"/> (<see cref="SeriesDownsampling.MinMaxLast"/>); a metric never measured has none.
    /// </summary>
    public static IEnumerable<TrialCurve> Of(long trial, string name, IEnumerable<EpochRecord> epochs, int width)
    {
        var trained = epochs.Where(e => e.Epoch > 0).OrderBy(e => e.Epoch).ToList();
        foreach (var (metric, read) in Metrics)
        {
            var y = trained.Select(e => read(e) is { } v && double.IsFinite(v) ? v : (double?)null).ToList();
            if (y.All(v => v is null)) continue;
            yield return new TrialCurve(trial, name, metric, SeriesDownsampling.MinMaxLast(new CurvePoints(trained.ConvertAll(e => (double)e.Epoch), y), width));
        }
    }
}
