using ScottPlot;

namespace Experiments.Visualization.Charts;

/// <summary>One point of a line; NaN or infinite points are not drawn and break the line.</summary>
public sealed record ChartPoint(double X, double Y);

/// <summary>
/// One named line in a colour (#rrggbb). NaN or infinite points are skipped and break the line, so a diverged epoch
/// shows as a gap. <paramref name="InLegend"/> false keeps it out of the legend (a chart that explains its line styles
/// once, in <see cref="LineChart.Keys"/>).
/// </summary>
public sealed record LineSeries(string Name, IReadOnlyList<ChartPoint> Points, string Colour, bool Dashed = false, bool InLegend = true)
{
    /// <summary>Line width in pixels.</summary>
    public double Width { get; init; } = 2;

    /// <summary>The legend's text when it differs from <see cref="LineSeries.Name"/> (one entry standing for a trial's lines).</summary>
    public string? Legend { get; init; }

    /// <summary>Draw a dot at every point (off for dense lines such as ROC curves).</summary>
    public bool Markers { get; init; } = true;
}

/// <summary>A shaded range between <paramref name="Low"/> and <paramref name="High"/> at each x (a quantile band); non-finite x's are skipped.</summary>
public sealed record ChartBand(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Low, IReadOnlyList<double> High, string Colour, double Opacity);

/// <summary>An axis's fixed range (written as <c>(0, 1)</c> in code, and as <c>{"min": 0, "max": 1}</c> in a chart's JSON).</summary>
public sealed record AxisRange(double Min, double Max)
{
    public static implicit operator AxisRange((double Min, double Max) range) => new(range.Min, range.Max);
}

/// <summary>A legend entry that stands for a line style rather than one series ("validation: dashed").</summary>
public sealed record LegendKey(string Name, string Colour, bool Dashed = false);

/// <summary>
/// A line chart drawn by ScottPlot: title, axis labels, a legend (below the data area, in columns across the figure,
/// unless <see cref="LegendInside"/>),
/// optional shaded bands and a box of notes. Axes are fitted to the data unless <see cref="XRange"/>/<see cref="YRange"/>
/// fix them. <see cref="Write"/> writes the figure (SVG or PNG by extension) and, beside it, this record as JSON.
/// </summary>
public sealed record LineChart(string Title, string XLabel, string YLabel, IReadOnlyList<LineSeries> Series)
{
    /// <summary>Figure size in pixels; fixed whatever the number of series.</summary>
    public int Width { get; init; } = 800;

    public int Height { get; init; } = 480;

    public IReadOnlyList<ChartBand> Bands { get; init; } = [];

    /// <summary>Legend entries after the series' own (line styles, bands are listed automatically).</summary>
    public IReadOnlyList<LegendKey> Keys { get; init; } = [];

    /// <summary>Lines of text shown in a box in the plot's upper left corner (e.g. which filters are dead).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// The border of the notes' box: red (<see cref="ChartCanvas.Alert"/>) by default, for a note that warns; grey
    /// (<see cref="ChartCanvas.Neutral"/>) for one that only informs, so "no filter is near dead" does not look like an alarm.
    /// </summary>
    public string NotesBorder { get; init; } = ChartCanvas.Alert;

    /// <summary>
    /// Break a long title into lines when drawing (<see cref="ChartCanvas.Wrapped"/>). The breaks are a drawing
    /// concern: the JSON keeps the title on one line, so it is not written here either.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool WrapTitle { get; init; }

    public AxisRange? XRange { get; init; }

    public AxisRange? YRange { get; init; }

    /// <summary>X is a whole number (epochs): ticks only at integers.</summary>
    public bool WholeX { get; init; }

    /// <summary>The legend goes inside the plot, lower right (ROC curves leave that corner empty).</summary>
    public bool LegendInside { get; init; }

    /// <summary>The data area is a square (ROC: both axes are rates from 0 to 1).</summary>
    public bool SquareData { get; init; }

    /// <summary>
    /// The most of the figure's height a legend below the data area takes before the figure grows instead: about eight
    /// rows of entries at 480 pixels, so the data area keeps at least the height such a legend leaves it.
    /// </summary>
    public const double MaxLegendShare = 0.4;

    public Plot ToPlot() => Draw().Plot;

    /// <summary>
    /// Writes the chart to <paramref name="path"/> (.svg or .png) and its data to the same name with .json. A legend below
    /// the data area taller than <see cref="MaxLegendShare"/> of <see cref="Height"/> makes the figure taller by the
    /// excess, and the JSON gives the height drawn.
    /// </summary>
    public void Write(string path) => Render(Path.GetFileName(path)).Save(Path.GetDirectoryName(Path.GetFullPath(path))!);

    /// <summary>The chart as <paramref name="name"/> (.svg or .png), with its numbers as JSON, as <see cref="Write"/> writes them.</summary>
    public FigureFile Render(string name)
    {
        var (plot, height) = Draw();
        return ChartCanvas.Render(plot, name, Width, height, ChartCanvas.DataText(this with { Height = height }));
    }

    private (Plot Plot, int Height) Draw()
    {
        var plot = ChartCanvas.NewPlot(WrapTitle ? ChartCanvas.Wrapped(Title) : Title, XLabel, YLabel);
        var legend = new List<LegendItem>();
        foreach (var band in Bands)
        {
            var points = Enumerable.Range(0, band.X.Count)
                .Where(i => double.IsFinite(band.X[i]) && double.IsFinite(band.Low[i]) && double.IsFinite(band.High[i])).ToList();
            if (points.Count == 0) continue;
            var fill = plot.Add.FillY([.. points.Select(i => band.X[i])], [.. points.Select(i => band.Low[i])], [.. points.Select(i => band.High[i])]);
            var colour = ChartCanvas.Colour(band.Colour).WithAlpha(band.Opacity);
            fill.FillColor = colour;
            fill.LineWidth = 0;
            fill.MarkerSize = 0;
            legend.Add(new LegendItem { LabelText = band.Name, FillColor = colour, LineWidth = 0 });
        }
        foreach (var series in Series)
        {
            var colour = ChartCanvas.Colour(series.Colour);
            foreach (var run in FiniteRuns(series.Points))
            {
                var dots = plot.Add.Scatter(run.Select(p => p.X).ToArray(), run.Select(p => p.Y).ToArray(), colour);
                dots.MarkerSize = series.Markers || run.Count == 1 ? 5 : 0;
                dots.MarkerShape = series.Dashed ? MarkerShape.OpenCircle : MarkerShape.FilledCircle;
                dots.LineWidth = series.Dashed ? 0 : (float)series.Width;
                if (series.Dashed) plot.Add.Plottable(new DashedLine(run, colour, (float)series.Width));
            }
            if (series.InLegend) legend.Add(Key(series.Legend ?? series.Name, series.Colour, series.Dashed, series.Width, series.Markers));
        }
        legend.AddRange(Keys.Select(k => Key(k.Name, k.Colour, k.Dashed, 2, markers: true)));

        SetLimits(plot);
        if (Notes.Count > 0)
        {
            var note = plot.Add.Annotation(string.Join("\n", Notes), Alignment.UpperLeft);
            note.LabelFontName = ChartCanvas.FontFamily;
            note.LabelFontSize = 11;
            note.LabelBackgroundColor = Colors.White.WithAlpha(0.85);
            note.LabelBorderColor = ChartCanvas.Colour(NotesBorder);
            note.LabelFontColor = Colors.Black;
            note.LabelShadowColor = Colors.Transparent;
        }
        plot.Legend.ManualItems.AddRange(legend);
        plot.Legend.SymbolWidth = LegendSymbolWidth;
        var height = Height;
        if (legend.Count > 0)
        {
            if (LegendInside) plot.ShowLegend(Alignment.LowerRight);
            else
            {
                using var paint = Paint.NewDisposablePaint();
                height += (int)Math.Ceiling(Math.Max(0, LegendBelow.Add(plot, Width).Measure(paint) - MaxLegendShare * Height));
            }
        }
        if (SquareData)
        {
            // Left, right, bottom, top padding around a square data area (room for a two-line title): the legend sits inside it.
            const int left = 80, bottom = 60, top = 75;
            var side = Math.Min(Width - left - 40, Height - bottom - top);
            plot.Layout.Fixed(new PixelPadding(left, Width - left - side, bottom, Height - bottom - side));
        }
        return (plot, height);
    }

    // Long enough for three dashes of a dashed line's key (7 on, 4 off, 7 on, 4 off, 7 on).
    private const float LegendSymbolWidth = 3 * DashedLine.On + 2 * DashedLine.Off;

    /// <summary>
    /// A legend entry that shows the series' line as drawn: a solid line (with a dot, if the series has them), or a dashed
    /// one (with an open dot) drawn by <see cref="DashedLegendSample"/>, because ScottPlot's legend line would need the
    /// path effect that SVG lacks (<see cref="DashedLine"/>).
    /// </summary>
    private static LegendItem Key(string name, string colour, bool dashed, double width, bool markers) => dashed
        ? new()
        {
            LabelText = name, LineWidth = 0, MarkerShape = MarkerShape.OpenCircle, MarkerSize = 7,
            MarkerStyle = { CustomRenderer = new DashedLegendSample(ChartCanvas.Colour(colour), (float)width, LegendSymbolWidth, markers) },
        }
        : new()
        {
            LabelText = name, LineColor = ChartCanvas.Colour(colour), LineWidth = (float)width, MarkerShape = markers ? MarkerShape.FilledCircle : MarkerShape.None,
            MarkerSize = 5, MarkerFillColor = ChartCanvas.Colour(colour),
        };

    private void SetLimits(Plot plot)
    {
        var xs = Series.SelectMany(s => s.Points).Where(Finite).Select(p => p.X).Concat(Bands.SelectMany(b => b.X.Where(double.IsFinite))).ToList();
        var ys = Series.SelectMany(s => s.Points).Where(Finite).Select(p => p.Y)
            .Concat(Bands.SelectMany(b => b.Low.Concat(b.High)).Where(double.IsFinite)).ToList();
        var (xMin, xMax) = XRange ?? (WholeX ? WholeRange(xs) : Padded(xs, 0.02));
        var (yMin, yMax) = YRange ?? Padded(ys, 0.06);
        // Headroom for the notes' box in the upper left, so it sits above the data rather than over it.
        if (YRange is null && Notes.Count > 0) yMax += (yMax - yMin) * 0.08 * (Notes.Count + 1);
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
        if (WholeX && xs.Count > 0) plot.Axes.Bottom.TickGenerator = WholeTicks(xs.Min(), xs.Max());
    }

    /// <summary>
    /// Whole-number x (epochs) from the first to the last value, with a margin of 0.3 (or 2% of the span, if more) so
    /// the end dots are not cut: a quarter of the span, as before, reached whole numbers beyond the data (epochs −1
    /// and 6 for epochs 0–5), which the axis then labelled.
    /// </summary>
    private static AxisRange WholeRange(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) return new(0, 1);
        var (min, max) = (xs.Min(), xs.Max());
        var margin = Math.Max(0.3, (max - min) * 0.02);
        return new(min - margin, max + margin);
    }

    /// <summary>Ticks at whole numbers from <paramref name="min"/> to <paramref name="max"/> only, every 1, 2, 5, 10… so at most about ten.</summary>
    private static ScottPlot.TickGenerators.NumericManual WholeTicks(double min, double max)
    {
        var step = ChartCanvas.RoundStep(Math.Max(1, (max - min) / 10));
        var first = Math.Ceiling(Math.Ceiling(min) / step) * step;
        var ticks = new List<double>();
        for (var x = first; x <= Math.Floor(max); x += step) ticks.Add(x);
        return new([.. ticks], [.. ticks.Select(t => t.ToString("0", System.Globalization.CultureInfo.InvariantCulture))]);
    }

    /// <summary>The data's range with a margin of <paramref name="fraction"/> of it on each side; a flat or empty range gets a unit around it.</summary>
    private static AxisRange Padded(IReadOnlyList<double> values, double fraction)
    {
        if (values.Count == 0) return new(0, 1);
        var (min, max) = (values.Min(), values.Max());
        var span = max - min;
        if (span <= 0) span = Math.Max(Math.Abs(min), 1) * 0.1;
        var margin = span * fraction;
        return new(min - margin, max + margin);
    }

    private static bool Finite(ChartPoint p) => double.IsFinite(p.X) && double.IsFinite(p.Y);

    private static IEnumerable<List<ChartPoint>> FiniteRuns(IReadOnlyList<ChartPoint> points)
    {
        var run = new List<ChartPoint>();
        foreach (var point in points)
        {
            if (Finite(point))
            {
                run.Add(point);
                continue;
            }
            if (run.Count > 0) yield return run;
            run = [];
        }
        if (run.Count > 0) yield return run;
    }
}
