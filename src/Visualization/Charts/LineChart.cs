using System.Xml.Linq;
using static Experiments.Visualization.Charts.Svg;

namespace Experiments.Visualization.Charts;

/// <summary>One named line. NaN or infinite points are skipped and break the line, so a diverged epoch shows as a gap.</summary>
public sealed record LineSeries(string Name, IReadOnlyList<(double X, double Y)> Points, string Colour, bool Dashed = false);

/// <summary>
/// A line chart as SVG: title, axes with nice ticks and grid lines, axis labels, and a legend on the right.
/// Elements carry classes for tools and tests: each series is a <c>g.series</c> with <c>data-name</c>, holding
/// <c>polyline</c>s and a <c>circle</c> per point; ticks are <c>g.tick</c>; legend entries <c>g.legend-entry</c>.
/// </summary>
public sealed record LineChart(string Title, string XLabel, string YLabel, IReadOnlyList<LineSeries> Series)
{
    public double Width { get; init; } = 720;
    public double Height { get; init; } = 420;

    /// <summary>Fixes the y range (e.g. [0, 1] for accuracy); otherwise it is fitted to the data.</summary>
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>Draws y on a log10 scale (non-positive values are skipped), for norms that span decades.</summary>
    public bool LogY { get; init; }

    /// <summary>A Tableau-10-like palette: distinguishable, and fine for the most common colour-vision deficiencies.</summary>
    public static IReadOnlyList<string> Palette { get; } =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public XDocument ToDocument()
    {
        const double left = 70, top = 40, bottom = 55;
        var legendWidth = Series.Count == 0 ? 20 : Math.Min(260, 40 + 6.5 * Series.Max(s => s.Name.Length));
        var plotWidth = Width - left - legendWidth;
        var plotHeight = Height - top - bottom;

        double Transform(double y) => LogY ? (y > 0 ? Math.Log10(y) : double.NaN) : y;
        var visible = Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(Transform(p.Y))).ToList();
        var (xMin, xMax) = visible.Count == 0 ? (0.0, 1.0) : (visible.Min(p => p.X), visible.Max(p => p.X));
        var xTicks = NiceTicks.For(xMin, xMax, 8);
        // Epochs are whole numbers: never label a half epoch, and give a short run one tick per epoch.
        if (visible.Count > 0 && visible.All(p => p.X == Math.Round(p.X)))
            xTicks = xMax - xMin <= 12
                ? Enumerable.Range((int)xMin, (int)(xMax - xMin) + 1).Select(i => (double)i).ToList()
                : xTicks.Where(t => t == Math.Round(t)).ToList();
        var (yLow, yHigh) = YRange ?? (visible.Count == 0 ? (0.0, 1.0) : (visible.Min(p => Transform(p.Y)), visible.Max(p => Transform(p.Y))));
        var yTicks = LogY
            ? Enumerable.Range((int)Math.Floor(yLow), Math.Max(1, (int)Math.Ceiling(yHigh) - (int)Math.Floor(yLow)) + 1).Select(e => (double)e).ToList()
            : (YRange is null ? NiceTicks.For(yLow, yHigh) : NiceTicks.For(yLow, yHigh).Where(t => t >= yLow - 1e-12 && t <= yHigh + 1e-12).ToList());
        var (x0, x1) = (Math.Min(xTicks[0], xMin), Math.Max(xTicks[^1], xMax));
        var (y0, y1) = YRange ?? (Math.Min(yTicks[0], yLow), Math.Max(yTicks[^1], yHigh));
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 <= y0) y1 = y0 + 1;
        double Px(double x) => left + (x - x0) / (x1 - x0) * plotWidth;
        double Py(double y) => top + plotHeight - (y - y0) / (y1 - y0) * plotHeight;

        var body = new List<object>
        {
            Text(Width / 2, 22, Title, "title"),
            Text(left + plotWidth / 2, Height - 12, XLabel, "axis-label"),
            Text(18, top + plotHeight / 2, YLabel + (LogY ? " (log scale)" : ""), "axis-label", rotate: -90),
        };
        foreach (var t in xTicks.Where(t => t >= x0 - 1e-9 && t <= x1 + 1e-9))
            body.Add(Element("g", Attr("class", "tick"), Attr("data-axis", "x"),
                Element("line", Attr("class", "grid"), Attr("x1", Px(t)), Attr("x2", Px(t)), Attr("y1", top), Attr("y2", top + plotHeight)),
                Text(Px(t), top + plotHeight + 16, NiceTicks.Label(t), "tick-label")));
        foreach (var t in yTicks.Where(t => t >= y0 - 1e-9 && t <= y1 + 1e-9))
            body.Add(Element("g", Attr("class", "tick"), Attr("data-axis", "y"),
                Element("line", Attr("class", "grid"), Attr("x1", left), Attr("x2", left + plotWidth), Attr("y1", Py(t)), Attr("y2", Py(t))),
                Text(left - 6, Py(t) + 4, LogY ? NiceTicks.Label(Math.Pow(10, t)) : NiceTicks.Label(t), "tick-label", anchor: "end")));
        body.Add(Element("line", Attr("class", "axis"), Attr("x1", left), Attr("x2", left + plotWidth), Attr("y1", top + plotHeight), Attr("y2", top + plotHeight)));
        body.Add(Element("line", Attr("class", "axis"), Attr("x1", left), Attr("x2", left), Attr("y1", top), Attr("y2", top + plotHeight)));

        foreach (var series in Series)
        {
            var group = Element("g", Attr("class", "series"), Attr("data-name", series.Name));
            var run = new List<string>();
            void Flush()
            {
                if (run.Count > 1)
                    group.Add(Element("polyline", Attr("points", string.Join(' ', run)), Attr("fill", "none"), Attr("stroke", series.Colour),
                        Attr("stroke-width", 2), series.Dashed ? Attr("stroke-dasharray", "6 4") : null));
                run.Clear();
            }
            foreach (var (x, y) in series.Points)
            {
                var ty = Transform(y);
                if (!double.IsFinite(x) || !double.IsFinite(ty)) { Flush(); continue; }
                run.Add($"{Number(Px(x))},{Number(Py(ty))}");
                group.Add(Element("circle", Attr("cx", Px(x)), Attr("cy", Py(ty)), Attr("r", 2.5), Attr("fill", series.Colour),
                    Attr("data-x", x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
                    Attr("data-y", y.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
            }
            Flush();
            body.Add(group);
        }

        var legend = Element("g", Attr("class", "legend"));
        for (var i = 0; i < Series.Count; i++)
        {
            var y = top + 8 + i * 18;
            var x = left + plotWidth + 14;
            legend.Add(Element("g", Attr("class", "legend-entry"),
                Element("line", Attr("x1", x), Attr("x2", x + 22), Attr("y1", y), Attr("y2", y), Attr("stroke", Series[i].Colour), Attr("stroke-width", 2),
                    Series[i].Dashed ? Attr("stroke-dasharray", "6 4") : null),
                Text(x + 28, y + 4, Series[i].Name, "legend-label", anchor: "start")));
        }
        body.Add(legend);
        return Document(Width, Height, Title, body);
    }

    public string ToSvg() => Serialise(ToDocument());

    public void Write(string path) => File.WriteAllText(path, ToSvg());
}
