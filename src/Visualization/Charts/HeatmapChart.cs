using System.Globalization;
using ScottPlot;

namespace Experiments.Visualization.Charts;

/// <summary>How a heatmap maps values to colours.</summary>
public enum HeatmapColours
{
    /// <summary>Viridis, low to high (counts, rates).</summary>
    Viridis,

    /// <summary>cmocean's Balance, blue below zero and red above, symmetric around zero (covariances).</summary>
    Diverging,
}

/// <summary>
/// A labelled matrix drawn by ScottPlot (a confusion matrix, say): row 0 at the top, each cell's value written in it when
/// the matrix is small enough to read, and a labelled colour bar. <see cref="Write"/> writes the figure (SVG or PNG by
/// extension) and, beside it, this record as JSON.
/// </summary>
public sealed record HeatmapChart(
    string Title, string RowAxisLabel, string ColumnAxisLabel,
    IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels, IReadOnlyList<IReadOnlyList<double>> Values)
{
    // Cells narrower than this many columns get their value written inside.
    private const int MaxAnnotatedColumns = 20;

    public HeatmapColours Colours { get; init; } = HeatmapColours.Viridis;

    /// <summary>What the colour means, with its unit: the colour bar's label.</summary>
    public string ColourBarLabel { get; init; } = "value";

    /// <summary>Format of the numbers written in the cells ("0" for counts, "0.00" for rates).</summary>
    public string ValueFormat { get; init; } = "0.##";

    public int Width { get; init; } = 760;

    public int Height { get; init; } = 640;

    public Plot ToPlot()
    {
        if (Values.Count != RowLabels.Count || Values.Any(r => r.Count != ColumnLabels.Count))
            throw new ArgumentException($"the matrix must be {RowLabels.Count}×{ColumnLabels.Count}, as its labels");
        var plot = ChartCanvas.NewPlot(Title, ColumnAxisLabel, RowAxisLabel);
        var matrix = new double[RowLabels.Count, ColumnLabels.Count];
        for (var r = 0; r < RowLabels.Count; r++)
            for (var c = 0; c < ColumnLabels.Count; c++) matrix[r, c] = Values[r][c];
        var heatmap = Add(plot, matrix, Colours, ColourBarLabel);
        // One rectangle per cell rather than one scaled bitmap: viewers smooth a bitmap in an SVG, blurring the cells together.
        heatmap.RenderStrategy = new ScottPlot.Plottables.Heatmap.RenderStrategies.Rectangles();
        if (ColumnLabels.Count <= MaxAnnotatedColumns)
        {
            var range = heatmap.GetRange();
            for (var r = 0; r < RowLabels.Count; r++)
                for (var c = 0; c < ColumnLabels.Count; c++)
                {
                    var value = Values[r][c];
                    var fraction = range.Max > range.Min ? (value - range.Min) / (range.Max - range.Min) : 0;
                    var text = plot.Add.Text(value.ToString(ValueFormat, CultureInfo.InvariantCulture), c, RowLabels.Count - 1 - r);
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontName = ChartCanvas.FontFamily;
                    text.LabelFontSize = ColumnLabels.Count > 12 ? 9 : 12;
                    text.LabelFontColor = Luminance(heatmap.Colormap.GetColor(fraction)) > 0.5 ? Colors.Black : Colors.White;
                }
        }
        CategoryAxis.Label(plot, plot.Axes.Bottom, ColumnLabels);
        CategoryAxis.Label(plot, plot.Axes.Left, RowLabels, reversed: true);
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, ColumnLabels.Count - 0.5, -0.5, RowLabels.Count - 0.5);
        return plot;
    }

    /// <summary>The chart as <paramref name="name"/> (.svg or .png), with its numbers as JSON.</summary>
    public FigureFile Render(string name) => ChartCanvas.Render(ToPlot(), name, Width, Height, ChartCanvas.DataText(this));

    /// <summary>Writes the chart to <paramref name="path"/> (.svg or .png) and its numbers beside it as .json.</summary>
    public void Write(string path) => Render(Path.GetFileName(path)).Save(Path.GetDirectoryName(Path.GetFullPath(path))!);

    /// <summary>
    /// Adds <paramref name="matrix"/> as a heatmap (row 0 at the top, cell (r, c) centred on x = c, y = rows − 1 − r)
    /// with a colour bar labelled <paramref name="label"/>; a diverging map is centred on zero.
    /// </summary>
    internal static ScottPlot.Plottables.Heatmap Add(Plot plot, double[,] matrix, HeatmapColours colours, string label)
    {
        var heatmap = plot.Add.Heatmap(matrix);
        heatmap.Smooth = false;
        if (colours == HeatmapColours.Diverging)
        {
            var largest = 0.0;
            foreach (var value in matrix)
                if (double.IsFinite(value)) largest = Math.Max(largest, Math.Abs(value));
            heatmap.Colormap = new ScottPlot.Colormaps.Balance();
            heatmap.ManualRange = new ScottPlot.Range(-Math.Max(largest, double.Epsilon), Math.Max(largest, double.Epsilon));
        }
        else heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = label;
        bar.LabelStyle.FontName = ChartCanvas.FontFamily;
        return heatmap;
    }

    private static double Luminance(Color c) => (0.299 * c.R + 0.587 * c.G + 0.114 * c.B) / 255;
}
