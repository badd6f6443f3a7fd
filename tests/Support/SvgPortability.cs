using System.Xml;
using System.Xml.Linq;

namespace Experiments.Testing;

/// <summary>
/// What keeps an SVG drawing the same in every viewer, checked independently of the code that writes it: the file is
/// well-formed XML (System.Xml, no DTD), no attribute holds a list that ends in a comma (SVG's number lists are
/// comma-or-space separated with nothing after the last, and Firefox shifts text whose glyph positions end in one), and
/// every font-family list ends in a generic family (CSS Fonts §2.1.3), so a viewer without the named typeface still
/// picks a font of the same kind.
/// </summary>
public static class SvgPortability
{
    private static readonly HashSet<string> GenericFamilies = ["serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "math"];

    /// <summary>Each problem, as "element attribute=value"; empty when the SVG is portable.</summary>
    /// <exception cref="XmlException">The file is not well-formed XML.</exception>
    public static List<string> Problems(string path)
    {
        using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        var document = XDocument.Load(reader);
        var problems = new List<string>();
        if (document.Root?.Name.LocalName != "svg") problems.Add($"the root element is {document.Root?.Name.LocalName}, not svg");
        var elements = document.Descendants().ToList();
        foreach (var attribute in elements.SelectMany(e => e.Attributes()))
        {
            var value = attribute.Value.Trim();
            if (value.EndsWith(',')) problems.Add($"{attribute.Parent!.Name.LocalName} {attribute.Name.LocalName}=\"{attribute.Value}\" ends in a comma");
            if (attribute.Name.LocalName == "font-family" && !GenericFamilies.Contains(value.Split(',')[^1].Trim()))
                problems.Add($"{attribute.Parent!.Name.LocalName} font-family=\"{attribute.Value}\" has no generic family last");
        }
        if (!elements.Any(e => e.Attribute("font-family") is not null) && elements.Any(e => e.Name.LocalName == "text"))
            problems.Add("its text names no font family");
        return problems;
    }
}
