using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Experiments.Visualization.Charts;

/// <summary>
/// The one step every chart's SVG passes through before it is written (<see cref="ChartCanvas.Render"/>), so that any
/// viewer draws it as Chromium does. ScottPlot 5.1.59 writes SVG through SkiaSharp's SVG canvas, which leaves two flaws
/// that neither library has an option for: ScottPlot's output is SkiaSharp's as is (ScottPlot issue 5246, open), and
/// SkiaSharp's <c>SKSvgCanvas.Create</c> takes no flags; Skia's only text flag turns text into paths, which would take
/// the words out of the figure. So:
/// <list type="bullet">
/// <item>each text element's glyph positions end in a comma (<c>x="12.5, 19.1, "</c>), which is not a valid list:
/// Firefox reads one more position and shifts axis labels into the axes. The trailing comma is dropped.</item>
/// <item>a font-family names only the typeface the chart was set in (<c>DejaVu Sans</c>), so a viewer without it falls
/// back to whatever it likes, often a serif. Each list gets a generic family last: <c>'DejaVu Sans', sans-serif</c>.</item>
/// <item>element ids (SkiaSharp's clip paths <c>cl_N</c>, images <c>img_N</c>, N in hexadecimal) count on across every SVG a process
/// draws, so the same chart drawn second in a process (by the dashboard, or the report) differed from the one
/// <c>viz</c> writes. Ids are renumbered in document order within each SVG (<c>cl_0</c>, <c>cl_1</c>, …) and every
/// <c>url(#…)</c> and <c>href="#…"</c> follows, so a chart's bytes depend on the chart alone.</item>
/// </list>
/// </summary>
internal static class PortableSvg
{
    // CSS's generic families (CSS Fonts Level 4, §2.1.3); a list ending in one of them needs nothing added.
    private static readonly HashSet<string> _genericFamilies = new(StringComparer.OrdinalIgnoreCase)
    {
        "serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "math", "emoji", "fangsong",
        "ui-serif", "ui-sans-serif", "ui-monospace", "ui-rounded",
    };

    /// <summary><paramref name="svg"/> (an SVG document as text) made portable as above, as UTF-8 bytes.</summary>
    /// <exception cref="XmlException"><paramref name="svg"/> is not well-formed XML.</exception>
    public static byte[] Encode(string svg)
    {
        var document = XDocument.Parse(svg, LoadOptions.PreserveWhitespace);
        RenumberIds(document);
        foreach (var attribute in document.Descendants().SelectMany(e => e.Attributes()))
        {
            if (attribute.Name.LocalName == "font-family") attribute.Value = WithGenericFamily(attribute.Value);
            else if (attribute.Value.TrimEnd().EndsWith(',')) attribute.Value = attribute.Value.TrimEnd().TrimEnd(',').TrimEnd();
        }
        // UTF-8 without a byte-order mark, as ScottPlot writes it.
        using var output = new MemoryStream();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { Encoding = new UTF8Encoding(false) })) document.Save(writer);
        return output.ToArray();
    }

    private static void RenumberIds(XDocument document)
    {
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var id in document.Descendants().Select(e => e.Attribute("id")).OfType<XAttribute>())
        {
            // SkiaSharp counts in hexadecimal after the underscore (cl_9, cl_a, …, cl_1f).
            var underscore = id.Value.LastIndexOf('_');
            var prefix = underscore >= 0 ? id.Value[..(underscore + 1)] : id.Value.TrimEnd("0123456789abcdef".ToCharArray());
            var number = counts.GetValueOrDefault(prefix);
            counts[prefix] = number + 1;
            renamed[id.Value] = prefix + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
            id.Value = renamed[id.Value];
        }
        if (renamed.Count == 0) return;
        foreach (var attribute in document.Descendants().SelectMany(e => e.Attributes()).Where(a => a.Name.LocalName != "id"))
        {
            if (attribute.Value.StartsWith('#') && renamed.TryGetValue(attribute.Value[1..], out var target)) attribute.Value = "#" + target;
            else if (attribute.Value.Contains("url(#", StringComparison.Ordinal))
                attribute.Value = Regex.Replace(attribute.Value, @"url\(#([^)]+)\)", m => renamed.TryGetValue(m.Groups[1].Value, out var to) ? $"url(#{to})" : m.Value);
        }
    }

    /// <summary><c>'DejaVu Sans', sans-serif</c> for <c>DejaVu Sans</c>: names with spaces quoted, a generic family last.</summary>
    internal static string WithGenericFamily(string families)
    {
        var names = families.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => name.Trim('\'', '"')).Where(name => name.Length > 0).ToList();
        if (names.Count == 0 || !_genericFamilies.Contains(names[^1])) names.Add("sans-serif");
        return string.Join(", ", names.Select(name => _genericFamilies.Contains(name) || !name.Contains(' ') ? name : $"'{name}'"));
    }
}
