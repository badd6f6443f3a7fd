using Experiments.Visualization.Data;
using ScottPlot;

namespace Experiments.Visualization.Charts;

/// <summary>
/// A pixel covariance matrix (000, Fig. 6) as a PNG heatmap: zero white, positive red, negative blue on a scale symmetric
/// around zero up to the largest |entry|, with a colour bar, and variable indices on the axes (0 at the top left). The
/// data area has at least one pixel per entry, so no covariance is averaged away.
/// </summary>
public static class CovarianceChart
{
    /// <summary>The data area's side is the dimension, but at least this many pixels.</summary>
    public const int MinimumSide = 512;

    // Room around the data area: axis labels and ticks left and below, the title above, the colour bar on the right.
    private const int Left = 90, Right = 170, Bottom = 70, Top = 50;

    /// <summary>The picture's size in pixels for a d×d matrix: (max(d, 512) + 260) × (max(d, 512) + 120).</summary>
    public static (int Width, int Height) Size(int dimension)
    {
        var side = Math.Max(MinimumSide, dimension);
        return (side + Left + Right, side + Top + Bottom);
    }

    /// <summary>
    /// The picture at <paramref name="path"/>, and its numbers beside it as JSON (covariance-x.png → covariance-x.json,
    /// <see cref="CovarianceNumbers"/>), as every chart has.
    /// </summary>
    public static void Write(CovarianceMatrix matrix, string title, string path) =>
        Render(matrix, title, Path.GetFileName(path)).Save(Path.GetDirectoryName(Path.GetFullPath(path))!);

    /// <summary>The picture <see cref="Write"/> writes, as a figure named <paramref name="name"/>, with its numbers as JSON.</summary>
    public static FigureFile Render(CovarianceMatrix matrix, string title, string name)
    {
        var d = matrix.Dimension;
        var values = new double[d, d];
        for (var r = 0; r < d; r++)
            for (var c = 0; c < d; c++) values[r, c] = matrix[r, c];
        var plot = ChartCanvas.NewPlot(title, "pixel variable (index)", "pixel variable (index)");
        HeatmapChart.Add(plot, values, HeatmapColours.Diverging, "covariance (normalised pixel units²)");
        var step = IndexStep(d);
        var ticks = Enumerable.Range(0, d / step + 1).Select(i => i * step).Where(i => i < d).ToList();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks.Select(i => (double)i)], [.. ticks.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks.Select(i => (double)(d - 1 - i))], [.. ticks.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        plot.Axes.SetLimits(-0.5, d - 0.5, -0.5, d - 0.5);
        plot.HideGrid();
        var (width, height) = Size(d);
        plot.Layout.Fixed(new PixelPadding(Left, Right, Bottom, Top));
        return ChartCanvas.Render(plot, name, width, height, ChartCanvas.DataText(new CovarianceNumbers(title, matrix.Samples, matrix.Height, matrix.Width, d,
            [.. Enumerable.Range(0, d).Select(r => matrix.Values.AsSpan(r * d, d).ToArray())])));
    }

    /// <summary>A round step giving at most about eight index ticks (1, 2 or 5 times a power of ten).</summary>
    private static int IndexStep(int dimension) => (int)ChartCanvas.RoundStep(Math.Max(1, dimension / 8.0));
}

/// <summary>
/// The numbers of a covariance picture (<see cref="CovarianceChart"/>): the sampled images' count and pixel size, and
/// the <paramref name="Dimension"/>×<paramref name="Dimension"/> covariance, one array per row (variable index as on
/// the picture's axes), in normalised pixel units².
/// </summary>
public sealed record CovarianceNumbers(string Title, int Samples, int Height, int Width, int Dimension, double[][] Covariance);
