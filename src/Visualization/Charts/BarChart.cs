using ScottPlot;

namespace Experiments.Visualization.Charts;

/// <summary>A bar drawn in its own colour (#rrggbb) and named in the legend: the true class, the predicted class.</summary>
public sealed record MarkedBar(int Index, string Name, string Colour);

/// <summary>
/// Vertical bars, one per category (class probabilities, per-class F1…), drawn by ScottPlot. Each of
/// <see cref="Marked"/> is drawn in its own colour and named in the legend, the other bars by <see cref="OthersName"/>.
/// With <see cref="LogScale"/> the values (positive, such as probabilities) are drawn on a log₁₀ axis with a tick at
/// each decade, so values of 1e-3 and 1e-6 that a linear axis shows as nothing compare. <see cref="Write"/> writes the
/// figure (SVG or PNG by extension) and, beside it, this record as JSON: the values as they are, never their logarithms.
/// </summary>
public sealed record BarChart(string Title, string XLabel, string YLabel, IReadOnlyList<string> Categories, IReadOnlyList<double> Values)
{
    public int Width { get; init; } = 760;

    public int Height { get; init; } = 440;

    /// <summary>The value axis's range (on a log axis: the values, not their logarithms); fitted to the data when null.</summary>
    public AxisRange? YRange { get; init; }

    public IReadOnlyList<MarkedBar> Marked { get; init; } = [];

    /// <summary>The name of the other bars in the legend, when some are marked.</summary>
    public string OthersName { get; init; } = "other";

    public bool LogScale { get; init; }

    /// <summary>On a log axis, values below this (zeros) are drawn at it: 1e-300 is near the smallest normal double.</summary>
    public const double LogFloor = 1e-300;

    public Plot ToPlot()
    {
        if (Categories.Count != Values.Count) throw new ArgumentException("one value per category");
        var plot = ChartCanvas.NewPlot(Title, XLabel, YLabel);
        var others = ChartCanvas.Colour(ChartCanvas.Palette[0]);
        var (low, high) = LogScale ? LogRange() : LinearRange();
        double Height(double v) => !double.IsFinite(v) ? low : LogScale ? Math.Log10(Math.Max(v, LogFloor)) : v;
        var bars = plot.Add.Bars(Values.Select(Height).ToArray());
        for (var i = 0; i < bars.Bars.Count; i++)
        {
            var mark = Marked.LastOrDefault(m => m.Index == i);
            bars.Bars[i].FillColor = mark is null ? others : ChartCanvas.Colour(mark.Colour);
            bars.Bars[i].LineWidth = 0;
            // A log axis has no zero: bars rise from its bottom.
            if (LogScale) bars.Bars[i].ValueBase = low;
        }
        CategoryAxis.Label(plot, plot.Axes.Bottom, Categories);
        plot.Axes.SetLimits(-0.6, Categories.Count - 0.4, low, high <= low ? low + 1 : high);
        if (LogScale) plot.Axes.Left.TickGenerator = Decades(low, high, this.Height);
        if (Marked.Count > 0)
        {
            foreach (var mark in Marked.DistinctBy(m => m.Index))
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = mark.Name, FillColor = ChartCanvas.Colour(mark.Colour) });
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = OthersName, FillColor = others });
            // Below the axis, not inside: a confident prediction's bar reaches the top of the data area, where an
            // inside legend would cover the very bar it names.
            LegendBelow.Add(plot, Width);
        }
        return plot;
    }

    /// <summary>The chart as <paramref name="name"/> (.svg or .png), with its numbers as JSON.</summary>
    public FigureFile Render(string name) => ChartCanvas.Render(ToPlot(), name, Width, Height, ChartCanvas.DataText(this));

    /// <summary>Writes the chart to <paramref name="path"/> (.svg or .png) and its numbers beside it as .json.</summary>
    public void Write(string path) => Render(Path.GetFileName(path)).Save(Path.GetDirectoryName(Path.GetFullPath(path))!);

    private (double Low, double High) LinearRange()
    {
        var finite = Values.Where(double.IsFinite).Append(0).ToList();
        var (low, high) = YRange ?? new AxisRange(Math.Min(0, finite.Min()), finite.Max() * 1.08);
        return (low, high);
    }

    /// <summary>
    /// log₁₀ of the range: whole decades from one decade below the smallest positive value's decade (or
    /// <see cref="YRange"/>) up to the largest. The extra decade gives the smallest value a full decade of bar; an axis
    /// starting at its own decade left 2.7e-5 a stub of a bar over 1e-5.
    /// </summary>
    private (double Low, double High) LogRange()
    {
        var positive = Values.Where(v => double.IsFinite(v) && v > 0).DefaultIfEmpty(1).ToList();
        var low = YRange is { } range ? Math.Log10(Math.Max(range.Min, LogFloor)) : Math.Floor(Math.Log10(Math.Max(positive.Min(), LogFloor))) - 1;
        var high = YRange is { } fixedRange ? Math.Log10(fixedRange.Max) : Math.Ceiling(Math.Log10(positive.Max()));
        return (Math.Min(low, high - 1), high);
    }

    /// <summary>Vertical room a tick label needs so that neighbouring labels do not touch, in pixels.</summary>
    private const double TickLabelPitch = 16;

    /// <summary>Pixels of a chart's height that the title, the slanted class names and the legend below take from the axis.</summary>
    private const double ChromeHeight = 200;

    /// <summary>
    /// A tick at every decade between the ends, labelled 1, 0.1, 0.01, 1e-3, 1e-4…. Only the labels are thinned (every
    /// 2nd, 5th… decade) and only when the decades are too close for a label each; the ticks stay, one per decade.
    /// </summary>
    private static ScottPlot.TickGenerators.NumericManual Decades(double low, double high, int chartHeight)
    {
        var decades = Math.Round(high - low);
        var labelsThatFit = Math.Max(2, (chartHeight - ChromeHeight) / TickLabelPitch);
        var labelEvery = (int)ChartCanvas.RoundStep(Math.Max(1, decades / labelsThatFit));
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var exponent = Math.Floor(high); exponent >= low - 1e-9; exponent--)
        {
            var labelled = (long)exponent % labelEvery == 0;
            ticks.AddMajor(exponent, labelled ? Contracts.SettingText.Format(Math.Pow(10, exponent)) : "");
        }
        return ticks;
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
