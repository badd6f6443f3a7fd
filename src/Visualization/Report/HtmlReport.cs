using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using SkiaSharp;

namespace Experiments.Visualization.Report;

/// <summary>A table cell: its text, and optionally a link (an in-page anchor such as <c>#trial-5</c>).</summary>
public sealed record HtmlCell(string Text, string? Href = null)
{
    public static implicit operator HtmlCell(string text) => new(text);
}

/// <summary>
/// One self-contained HTML page (<c>viz report</c>): inline CSS, no scripts, and every figure embedded as a
/// <c>data:</c> URI (PNG as <c>image/png</c>, SVG as <c>image/svg+xml</c>), so the file can be mailed or archived on its
/// own and opens offline. SVG charts go in through <c>&lt;img&gt;</c> rather than inline markup because each chart carries
/// its own <c>&lt;style&gt;</c>, which would otherwise leak into the page. Every figure is shown at its natural size,
/// one picture pixel to one CSS pixel, inside a box that scrolls sideways (CSS <c>overflow-x:auto</c>) when the figure is
/// wider than the page: scaled down to the page's width, a wide kernel grid's labels would be unreadable. Paper cannot
/// scroll, so when printed (CSS <c>@media print</c>, still no script) every figure is scaled down to the page's width
/// instead of being clipped at its edge. All text is HTML-encoded.
/// </summary>
public sealed class HtmlReport(string title)
{
    private const string Style = """
        body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:1.5em 2em;color:#222;background:#fff;line-height:1.45}
        h1{font-size:1.7em;border-bottom:2px solid #1f77b4;padding-bottom:.3em}
        h2{font-size:1.35em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
        h3{font-size:1.1em;margin-top:1.5em}
        table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
        th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}
        th{background:#f3f6fa}
        td:first-child,th:first-child{text-align:left}
        tr:nth-child(even) td{background:#fafafa}
        figure{display:inline-block;max-width:100%;margin:.6em 1em .6em 0;vertical-align:top}
        .scroll{overflow-x:auto;max-width:100%}
        .scroll img{display:block;max-width:none;border:1px solid #eee}
        figcaption{font-size:.85em;color:#555;max-width:640px}
        .note{color:#8a5a00;background:#fff8e6;border-left:4px solid #f0b400;padding:.3em .8em}
        .problem{color:#b00}
        .ok{color:#070}
        nav ul{columns:2}
        code{background:#f3f3f3;padding:0 .2em}
        @media print{body{max-width:none;padding:0}.scroll{overflow:visible}.scroll img{max-width:100%;height:auto}}
        """;

    private readonly StringBuilder _body = new();

    public string Title { get; } = title;

    /// <summary>The figures embedded so far (paths of the files read), in page order.</summary>
    public List<string> Figures { get; } = [];

    public HtmlReport Heading(int level, string text, string? id = null)
    {
        var anchor = id is null ? "" : $" id=\"{Encode(id)}\"";
        _body.Append($"<h{level}{anchor}>{Encode(text)}</h{level}>\n");
        return this;
    }

    public HtmlReport Paragraph(string text, string? cssClass = null)
    {
        _body.Append(cssClass is null ? "<p>" : $"<p class=\"{Encode(cssClass)}\">").Append(Encode(text)).Append("</p>\n");
        return this;
    }

    /// <summary>
    /// A visible remark that something was skipped or is missing, and why. The messages it quotes come from the CLI,
    /// which marks a command as `viz activations`; here that becomes <c>&lt;code&gt;</c> rather than literal backticks.
    /// </summary>
    public HtmlReport Note(string text)
    {
        var encoded = System.Text.RegularExpressions.Regex.Replace(Encode(text), "`([^`]+)`", "<code>$1</code>");
        _body.Append("<p class=\"note\">").Append(encoded).Append("</p>\n");
        return this;
    }

    public HtmlReport List(IEnumerable<HtmlCell> items, string? cssClass = null)
    {
        _body.Append(cssClass is null ? "<ul>\n" : $"<ul class=\"{Encode(cssClass)}\">\n");
        foreach (var item in items) _body.Append("<li>").Append(Cell(item)).Append("</li>\n");
        _body.Append("</ul>\n");
        return this;
    }

    public HtmlReport Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<HtmlCell>> rows)
    {
        _body.Append("<table>\n<thead><tr>");
        foreach (var header in headers) _body.Append("<th>").Append(Encode(header)).Append("</th>");
        _body.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            foreach (var cell in row) _body.Append("<td>").Append(Cell(cell)).Append("</td>");
            _body.Append("</tr>\n");
        }
        _body.Append("</tbody>\n</table>\n");
        return this;
    }

    /// <summary>
    /// Embeds a PNG, GIF or SVG file as a figure with a caption, at its natural size (its <c>width</c> and <c>height</c>
    /// in pixels) in a sideways-scrolling box. The file is read now, so it may be overwritten afterwards.
    /// </summary>
    public HtmlReport Figure(string path, string caption)
    {
        var (width, height) = NaturalSize(path);
        _body.Append("<figure><div class=\"scroll\"><img src=\"").Append(DataUri(path)).Append("\" width=\"").Append(width).Append("\" height=\"").Append(height)
            .Append("\" alt=\"").Append(Encode(caption)).Append("\" data-file=\"").Append(Encode(Path.GetFileName(path)))
            .Append("\"></div><figcaption>").Append(Encode(caption)).Append("</figcaption></figure>\n");
        Figures.Add(path);
        return this;
    }

    /// <summary>
    /// Draws one part of the page; a part that does not apply to this trial (no classification metrics, no conv layer…,
    /// signalled by an <see cref="ArgumentException"/> or <see cref="InvalidDataException"/>) becomes a note instead of failing the page.
    /// </summary>
    public async Task PartAsync(Func<Task> draw)
    {
        try
        {
            await draw();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            Note($"not available: {e.Message}");
        }
    }

    public string ToHtml() =>
        $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>{Encode(Title)}</title>
        <style>
        {Style}</style>
        </head>
        <body>
        <h1>{Encode(Title)}</h1>
        {_body}</body>
        </html>

        """;

    public void Write(string path) => File.WriteAllText(path, ToHtml(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    /// <summary>The file as a base64 <c>data:</c> URI; the media type comes from the extension (.png or .svg).</summary>
    public static string DataUri(string path)
    {
        var mediaType = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".gif" => "image/gif",
            ".svg" => "image/svg+xml",
            var other => throw new ArgumentException($"cannot embed '{path}': only .png and .svg figures are supported, not '{other}'"),
        };
        return $"data:{mediaType};base64,{Convert.ToBase64String(File.ReadAllBytes(path))}";
    }

    /// <summary>
    /// A figure's size in pixels: a PNG's or GIF's from its header (read by SkiaSharp's codec), an SVG's from the
    /// <c>width</c> and <c>height</c> of its root element (ScottPlot writes them in pixels).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a picture with a size.</exception>
    public static (int Width, int Height) NaturalSize(string path)
    {
        if (Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase))
        {
            var root = XDocument.Load(path).Root;
            return int.TryParse((string?)root?.Attribute("width"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var w)
                   && int.TryParse((string?)root?.Attribute("height"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var h)
                ? (w, h)
                : throw new InvalidDataException($"{path} does not give its width and height in pixels");
        }
        using var codec = SKCodec.Create(path) ?? throw new InvalidDataException($"{path} is not a picture SkiaSharp can read");
        return (codec.Info.Width, codec.Info.Height);
    }

    private static string Cell(HtmlCell cell) =>
        cell.Href is null ? Encode(cell.Text) : $"<a href=\"{Encode(cell.Href)}\">{Encode(cell.Text)}</a>";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
