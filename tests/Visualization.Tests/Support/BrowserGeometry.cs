using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Experiments.Visualization.Tests.Support;

/// <summary>
/// Where things land when a browser draws an SVG chart: the chart is inlined into a page that headless Chromium loads,
/// a script measures it with the SVG DOM (<c>getExtentOfChar</c>, <c>getBoundingClientRect</c>, <c>getCTM</c>) and
/// writes its answer as JSON into the page, and <c>--dump-dom</c> hands the page back. Geometry that depends on font
/// metrics and transforms is then the browser's, not ours.
/// </summary>
public static class BrowserGeometry
{
    // Debian's Chromium (the browser the tests may use; never a downloaded one).
    private const string Chromium = "/usr/lib/chromium/chromium";

    /// <summary>Runs <paramref name="script"/> (a JavaScript function body that returns a JSON-able value; <c>svg</c> is the chart's root) on the chart.</summary>
    public static JsonDocument Measure(string svgPath, string script)
    {
        var svg = File.ReadAllText(svgPath);
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        var page = Path.Combine(Path.GetDirectoryName(svgPath)!, Path.GetFileNameWithoutExtension(svgPath) + "-measure.html");
        File.WriteAllText(page, $$"""
            <!DOCTYPE html><html><body style="margin:0">{{svg[start..]}}
            <pre id="measured"></pre>
            <script>
            const svg = document.querySelector('svg');
            document.getElementById('measured').textContent = JSON.stringify((function () { {{script}} })());
            </script></body></html>
            """);
        var info = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", new Uri(page).AbsoluteUri }) info.ArgumentList.Add(argument);
        using var browser = Process.Start(info)!;
        var output = browser.StandardOutput.ReadToEndAsync();
        _ = browser.StandardError.ReadToEndAsync();
        if (!browser.WaitForExit(TimeSpan.FromMinutes(2))) browser.Kill(entireProcessTree: true);
        var dom = output.Result;
        var open = dom.IndexOf("<pre id=\"measured\">", StringComparison.Ordinal);
        if (open < 0) throw new InvalidOperationException($"Chromium did not return the measured page: {dom[..Math.Min(dom.Length, 300)]}");
        open += "<pre id=\"measured\">".Length;
        return JsonDocument.Parse(WebUtility.HtmlDecode(dom[open..dom.IndexOf("</pre>", open, StringComparison.Ordinal)]));
    }
}
