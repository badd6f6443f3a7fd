using System.Globalization;
using System.Xml.Linq;

namespace Experiments.Visualization.Charts;

/// <summary>Small helpers for building SVG with LINQ to XML, which guarantees well-formed, escaped output.</summary>
internal static class Svg
{
    public static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    public static XElement Element(string name, params object?[] content) => new(Ns + name, content);

    public static XAttribute Attr(string name, double value) => new(name, Number(value));

    public static XAttribute Attr(string name, string value) => new(name, value);

    /// <summary>Invariant culture, at most 2 decimals: enough for pixel coordinates, and short.</summary>
    public static string Number(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public static XElement Text(double x, double y, string text, string cssClass, string anchor = "middle", double? rotate = null)
    {
        var element = Element("text", Attr("x", x), Attr("y", y), Attr("class", cssClass), Attr("text-anchor", anchor), text);
        if (rotate is { } degrees) element.Add(Attr("transform", $"rotate({Number(degrees)} {Number(x)} {Number(y)})"));
        return element;
    }

    public static XDocument Document(double width, double height, string title, IEnumerable<object> body) =>
        new(new XDeclaration("1.0", "utf-8", null),
            Element("svg",
                Attr("width", width), Attr("height", height), Attr("viewBox", $"0 0 {Number(width)} {Number(height)}"),
                Attr("font-family", "DejaVu Sans, Helvetica, Arial, sans-serif"), Attr("font-size", 12),
                Element("title", title),
                Element("style",
                    ".title{font-size:15px;font-weight:bold} .axis-label{font-size:12px} .tick text{font-size:10px;fill:#333}" +
                    " .grid{stroke:#e4e4e4;stroke-width:1} .axis{stroke:#333;stroke-width:1} .legend text{font-size:11px}"),
                Element("rect", Attr("width", "100%"), Attr("height", "100%"), Attr("fill", "white")),
                body));

    public static string Serialise(XDocument document)
    {
        using var writer = new Utf8StringWriter();
        document.Save(writer);
        return writer.ToString();
    }

    private sealed class Utf8StringWriter : StringWriter
    {
        public Utf8StringWriter() : base(CultureInfo.InvariantCulture) { }
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
    }
}

/// <summary>Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten).</summary>
public static class NiceTicks
{
    /// <summary>About <paramref name="count"/> ticks covering [min, max]; the first tick ≤ min and the last ≥ max.</summary>
    public static IReadOnlyList<double> For(double min, double max, int count = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) return [0, 1];
        if (max <= min) (min, max) = (min - 0.5, max + 0.5);
        var rough = (max - min) / Math.Max(1, count);
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(f => f * magnitude).First(s => s >= rough);
        var first = Math.Floor(min / step + 1e-9) * step;
        var ticks = new List<double>();
        for (var t = first; t < max + step * 0.999; t += step) ticks.Add(Math.Round(t / step) * step);
        if (ticks.Count < 2) ticks.Add(ticks[0] + step);
        return ticks;
    }

    public static string Label(double value)
    {
        if (value == 0) return "0";
        var abs = Math.Abs(value);
        return abs is >= 1e-3 and < 1e5
            ? value.ToString("0.###", CultureInfo.InvariantCulture)
            : value.ToString("0.##E+0", CultureInfo.InvariantCulture);
    }
}
