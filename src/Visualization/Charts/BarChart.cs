using ScottPlot;

namespace Experiments.Visualization.Charts;

/// <summary>
/// Vertical bars, one per category (class probabilities, per-class F1…), drawn by ScottPlot. The bar at
/// <see cref="Highlight"/> is drawn in red and named in the legend by <see cref="HighlightName"/>.
/// <see cref="Write"/> writes the figure (SVG or PNG by extension) and, beside it, this record as JSON.
/// </summary>
public sealed record BarChart(string Title, string XLabel, string YLabel, IReadOnlyList<string> Categories, IReadOnlyList<double> Values)
{
    public int Width { get; init; } = 760;

    public int Height { get; init; } = 440;

    public AxisRange? YRange { get; init; }

    public int? Highlight { get; init; }

    public string HighlightName { get; init; } = "highlighted";

    /// <summary>The name of the other bars in the legend, when one is highlighted.</summary>
    public string OthersName { get; init; } = "other";

    public Plot ToPlot()
    {
        if (Categories.Count != Values.Count) throw new ArgumentException("one value per category");
        var plot = ChartCanvas.NewPlot(Title, XLabel, YLabel);
        var (normal, highlighted) = (ChartCanvas.Colour(ChartCanvas.Palette[0]), ChartCanvas.Colour(ChartCanvas.Alert));
        var bars = plot.Add.Bars(Values.Select(v => double.IsFinite(v) ? v : 0).ToArray());
        for (var i = 0; i < bars.Bars.Count; i++)
        {
            bars.Bars[i].FillColor = i == Highlight ? highlighted : normal;
            bars.Bars[i].LineWidth = 0;
        }
        CategoryAxis.Label(plot, plot.Axes.Bottom, Categories);
        var finite = Values.Where(double.IsFinite).Append(0).ToList();
        var (low, high) = YRange ?? new AxisRange(Math.Min(0, finite.Min()), finite.Max() * 1.08);
        plot.Axes.SetLimits(-0.6, Categories.Count - 0.4, low, high <= low ? low + 1 : high);
        if (Highlight is not null)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = HighlightName, FillColor = highlighted });
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = OthersName, FillColor = normal });
            plot.ShowLegend(Alignment.UpperRight);
        }
        return plot;
    }

    public void Write(string path)
    {
        ChartCanvas.Save(ToPlot(), path, Width, Height);
        ChartCanvas.SaveData(this, path);
    }
}

/// <summary>Axes whose ticks are named categories at 0, 1, 2… (class names), slanted when they are long.</summary>
internal static class CategoryAxis
{
    /// <summary>Names position i on the axis <paramref name="labels"/>[i]; <paramref name="reversed"/> counts from the top (heatmap rows).</summary>
    public static void Label(Plot plot, IAxis axis, IReadOnlyList<string> labels, bool reversed = false)
    {
        var positions = Enumerable.Range(0, labels.Count).Select(i => (double)(reversed ? labels.Count - 1 - i : i)).ToArray();
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, [.. labels]);
        if (axis is ScottPlot.AxisPanels.BottomAxis && labels.Any(l => l.Length > 3))
        {
            axis.TickLabelStyle.Rotation = 45;
            // Hung by its upper left corner a little below the tick's end: anchored by its middle, a slanted label's first
            // letter reached up beside the tick mark, which then read as a dash before the class name.
            axis.TickLabelStyle.Alignment = Alignment.UpperLeft;
            axis.TickLabelStyle.OffsetY = 3;
            // ScottPlot sizes the axis for level labels; make room for the slanted ones (about 7 pixels a character at 45°) and the axis label.
            axis.MinimumSize = (float)(labels.Max(l => l.Length) * 7 * Math.Sqrt(0.5) + 40);
            // The last label slants past the plot's right edge.
            plot.Axes.Right.MinimumSize = Math.Max(plot.Axes.Right.MinimumSize, (float)(labels[^1].Length * 7 * Math.Sqrt(0.5)));
        }
    }
}
