using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;
using Experiments.Visualization.Report;
using Experiments.Visualization.Tests.Support;
using SkiaSharp;
using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>
/// How the report page shows a figure wider than the page: at its natural size in a box that scrolls sideways, never
/// squeezed to the page's width (where a wide kernel grid's labels become unreadable); printed, where nothing scrolls,
/// scaled to the paper's width rather than cut off. Checked in Debian's Chromium.
/// </summary>
public sealed partial class Showing_figures_in_the_report : IDisposable
{
    private const string Chromium = "/usr/lib/chromium/chromium";

    private readonly TemporaryDirectory _directory = new();

    [Fact]
    public void A_figure_wider_than_the_page_is_embedded_at_its_natural_size_in_a_sideways_scrolling_box()
    {
        // 3000 pixels wide: black on the left 1500, red on the right 1500. At its natural size a 1280-pixel window
        // shows only the black half; squeezed to the page's width, the red half would come into view.
        var figure = _directory.File("wide.png");
        using (var picture = new Picture(3000, 80, new Rgb(255, 0, 0)))
        {
            using var ink = new SKPaint { Color = SKColors.Black };
            picture.Canvas.DrawRect(0, 0, 1500, 80, ink);
            picture.WritePng(figure);
        }
        var page = _directory.File("report.html");
        new HtmlReport("wide figures").Figure(figure, "a wide figure").Write(page);

        var html = File.ReadAllText(page);
        Assert.Matches(ScrollingImage(), html);
        Assert.Contains(".scroll{overflow-x:auto", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);

        var screenshot = Screenshot(page, 1280, 400);
        var shot = PngOracle.Decode(screenshot);
        var frame = shot.Frames[0];
        var (red, black) = (0, 0);
        for (var y = 0; y < frame.Height; y++)
        for (var x = 0; x < frame.Width; x++)
        {
            var (r, g, b) = frame.Rgb(x, y, shot.Channels);
            if (r > 200 && g < 60 && b < 60) red++;
            if (r < 30 && g < 30 && b < 30) black++;
        }
        Assert.True(black > 500 * 60, $"the figure's black half is not on screen ({black} black pixels)");
        Assert.Equal(0, red);
    }

    [Fact]
    public void A_figure_wider_than_the_page_is_scaled_to_the_paper_width_when_printed_rather_than_cut_off()
    {
        var figure = _directory.File("wide.png");
        using (var picture = new Picture(3000, 80, new Rgb(255, 0, 0))) picture.WritePng(figure);
        var page = _directory.File("report.html");
        new HtmlReport("wide figures").Figure(figure, "a wide figure").Write(page);

        var pdf = File.ReadAllBytes(PrintToPdf(page));
        var text = System.Text.Encoding.Latin1.GetString(pdf);
        var paperWidth = double.Parse(MediaBox().Match(text).Groups["width"].Value, CultureInfo.InvariantCulture);
        var drawn = PdfContentStreams(text).Select(stream => (Page: PageScale().Match(stream), Image: ImageDraw().Match(stream)))
            .Single(s => s.Image.Success);
        // The page stream first maps Chromium's layout units to points (a uniform scale); the image is then drawn
        // into a unit square stretched by its own matrix, whose first entry is its width in layout units.
        var widthInPoints = double.Parse(drawn.Page.Groups["scale"].Value, CultureInfo.InvariantCulture)
                            * double.Parse(drawn.Image.Groups["width"].Value, CultureInfo.InvariantCulture);

        Assert.InRange(widthInPoints, paperWidth / 2, paperWidth);
        Assert.Contains("@media print{", File.ReadAllText(page), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_figure_states_its_natural_width_and_height_from_the_file()
    {
        var png = _directory.File("small.png");
        using (var picture = new Picture(123, 45, Rgb.White)) picture.WritePng(png);
        var svg = _directory.File("chart.svg");
        File.WriteAllText(svg, """<svg xmlns="http://www.w3.org/2000/svg" width="800" height="480"><text>chart</text></svg>""");

        var html = new HtmlReport("sizes").Figure(png, "png").Figure(svg, "svg").ToHtml();

        Assert.Contains("width=\"123\" height=\"45\"", html, StringComparison.Ordinal);
        Assert.Contains("width=\"800\" height=\"480\"", html, StringComparison.Ordinal);
    }

    /// <summary>An img of the wide figure's natural size directly inside the scrolling box.</summary>
    [GeneratedRegex("""<div class="scroll"><img src="data:image/png;base64,[^"]+" width="3000" height="80" """)]
    private static partial Regex ScrollingImage();

    [GeneratedRegex(@"/MediaBox \[0 0 (?<width>[\d.]+) [\d.]+\]")]
    private static partial Regex MediaBox();

    [GeneratedRegex(@"^(?<scale>[\d.]+) 0 0 -[\d.]+ 0 [\d.]+ cm\n")]
    private static partial Regex PageScale();

    /// <summary>The transformation matrix set just before an image XObject is painted.</summary>
    [GeneratedRegex(@"(?<width>[\d.]+) 0 0 -?[\d.]+ -?[\d.]+ -?[\d.]+ cm\n(?:[^\n]*\n){0,4}?/X\d+ Do")]
    private static partial Regex ImageDraw();

    /// <summary>Every Flate-compressed stream of the PDF, inflated (those that are not zlib data are skipped).</summary>
    private static IEnumerable<string> PdfContentStreams(string pdf)
    {
        foreach (Match match in Regex.Matches(pdf, @"stream\r?\n(.*?)endstream", RegexOptions.Singleline))
        {
            string? inflated;
            try
            {
                using var zlib = new ZLibStream(new MemoryStream(System.Text.Encoding.Latin1.GetBytes(match.Groups[1].Value)), CompressionMode.Decompress);
                using var reader = new StreamReader(zlib, System.Text.Encoding.Latin1);
                inflated = reader.ReadToEnd();
            }
            catch (InvalidDataException)
            {
                inflated = null;
            }
            if (inflated is not null) yield return inflated;
        }
    }

    /// <summary>Chromium's headless print of the page to PDF (its default paper, no header or footer).</summary>
    private string PrintToPdf(string page)
    {
        var path = _directory.File("printed.pdf");
        RunChromium($"--print-to-pdf={path}", "--no-pdf-header-footer", new Uri(page).AbsoluteUri);
        Assert.True(File.Exists(path), "Chromium wrote no PDF");
        return path;
    }

    /// <summary>Chromium's headless screenshot of the page at width×height CSS pixels (scale 1).</summary>
    private string Screenshot(string page, int width, int height)
    {
        var path = _directory.File("screenshot.png");
        RunChromium("--hide-scrollbars", "--force-device-scale-factor=1", $"--screenshot={path}", $"--window-size={width},{height}",
            new Uri(page).AbsoluteUri);
        Assert.True(File.Exists(path), "Chromium wrote no screenshot");
        return path;
    }

    private void RunChromium(params string[] arguments)
    {
        var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={_directory.File("chromium-profile")}" }.Concat(arguments))
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "Chromium did not finish within a minute");
        Assert.True(process.ExitCode == 0, $"Chromium failed ({process.ExitCode}): {error.Result}");
    }

    public void Dispose() => _directory.Dispose();
}
