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
