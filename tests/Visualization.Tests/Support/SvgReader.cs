using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace Experiments.Visualization.Tests.Support;

/// <summary>Reads a chart back: its SVG parsed by System.Xml (no DTD), the text it shows, and the JSON of its numbers beside it.</summary>
public static class SvgReader
{
    public static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public static XDocument Parse(string path)
    {
        using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        var document = XDocument.Load(reader);
        if (document.Root?.Name != Svg + "svg") throw new InvalidDataException($"{path} is not an SVG document");
        return document;
    }

    /// <summary>Every text element's content, trimmed, in document order.</summary>
    public static List<string> Texts(string path) => [.. Parse(path).Descendants(Svg + "text").Select(t => t.Value.Trim())];

    /// <summary>
    /// Every text element's content with the point it is drawn from: Skia writes each text with a transform,
    /// <c>translate(x y)</c> or <c>matrix(a b c d x y)</c> for slanted text, whose translation is that point.
    /// </summary>
    public static List<(string Text, double X, double Y)> TextAnchors(string path) =>
    [
        .. Parse(path).Descendants(Svg + "text").Select(t =>
        {
            var transform = (string?)t.Attribute("transform") ?? "translate(0 0)";
            var numbers = transform[(transform.IndexOf('(') + 1)..transform.IndexOf(')')]
                .Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)
                .Select(n => double.Parse(n, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            return (t.Value.Trim(), numbers[^2], numbers[^1]);
        }),
    ];

    /// <summary>The figure's declared size in pixels.</summary>
    public static (int Width, int Height) Size(string path)
    {
        var root = Parse(path).Root!;
        return ((int)double.Parse((string)root.Attribute("width")!, System.Globalization.CultureInfo.InvariantCulture),
            (int)double.Parse((string)root.Attribute("height")!, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The numbers behind a chart: <c>x.svg</c>'s <c>x.json</c>.</summary>
    public static JsonDocument Data(string chartPath) => JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(chartPath, ".json")));
}
