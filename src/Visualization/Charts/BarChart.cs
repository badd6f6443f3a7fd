using System.Xml.Linq;
using static Experiments.Visualization.Charts.Svg;

namespace Experiments.Visualization.Charts;

/// <summary>
/// Vertical bars, one per category (class probabilities, per-class F1…), as SVG: each bar a <c>rect.bar</c> with
/// <c>data-category</c> and <c>data-value</c>; an optional highlighted category is drawn in a second colour.
/// </summary>
public sealed record BarChart(string Title, string YLabel, IReadOnlyList<string> Categories, IReadOnlyList<double> Values)
{
    public double Width { get; init; } = 640;
    public double Height { get; init; } = 380;
    public (double Min, double Max)? YRange { get; init; }
    public int? Highlight { get; init; }

    public XDocument ToDocument()
    {
        if (Categories.Count != Values.Count) throw new ArgumentException("one value per category");
        const double left = 70, top = 40, right = 20;
        var bottom = 30 + 6.0 * Categories.Append("").Max(c => c.Length);
        var (plotWidth, plotHeight) = (Width - left - right, Height - top - bottom);
        var finite = Values.Where(double.IsFinite).Append(0).ToList();
        var ticks = YRange is { } range ? NiceTicks.For(range.Min, range.Max) : NiceTicks.For(finite.Min(), finite.Max());
        var (y0, y1) = YRange ?? (ticks[0], ticks[^1]);
        double Py(double y) => top + plotHeight - (Math.Clamp(y, y0, y1) - y0) / (y1 - y0) * plotHeight;
        var slot = plotWidth / Math.Max(1, Categories.Count);

        var body = new List<object> { Text(Width / 2, 22, Title, "title"), Text(18, top + plotHeight / 2, YLabel, "axis-label", rotate: -90) };
        foreach (var t in ticks.Where(t => t >= y0 - 1e-12 && t <= y1 + 1e-12))
            body.Add(Element("g", Attr("class", "tick"), Attr("data-axis", "y"),
                Element("line", Attr("class", "grid"), Attr("x1", left), Attr("x2", left + plotWidth), Attr("y1", Py(t)), Attr("y2", Py(t))),
                Text(left - 6, Py(t) + 4, NiceTicks.Label(t), "tick-label", "end")));
        for (var i = 0; i < Categories.Count; i++)
        {
            var value = Values[i];
            var (yTop, yBase) = (Py(Math.Max(value, 0)), Py(Math.Min(value, 0)));
            body.Add(Element("rect", Attr("class", "bar"), Attr("x", left + i * slot + slot * 0.15), Attr("y", double.IsFinite(value) ? yTop : Py(0)),
                Attr("width", slot * 0.7), Attr("height", double.IsFinite(value) ? Math.Max(0, yBase - yTop) : 0),
                Attr("fill", i == Highlight ? "#d62728" : "#1f77b4"), Attr("data-category", Categories[i]),
                Attr("data-value", value.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
            body.Add(Text(left + (i + 0.5) * slot + 4, top + plotHeight + 10, Categories[i], "category-label", "end", rotate: -45));
        }
        body.Add(Element("line", Attr("class", "axis"), Attr("x1", left), Attr("x2", left + plotWidth), Attr("y1", Py(Math.Max(y0, 0))), Attr("y2", Py(Math.Max(y0, 0)))));
        body.Add(Element("line", Attr("class", "axis"), Attr("x1", left), Attr("x2", left), Attr("y1", top), Attr("y2", top + plotHeight)));
        return Document(Width, Height, Title, body);
    }

    public string ToSvg() => Serialise(ToDocument());

    public void Write(string path) => File.WriteAllText(path, ToSvg());
}
