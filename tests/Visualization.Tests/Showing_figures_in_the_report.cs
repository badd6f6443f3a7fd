using System.Diagnostics;
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
/// squeezed to the page's width (where a wide kernel grid's labels become unreadable). Checked in Debian's Chromium.
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

    /// <summary>Chromium's headless screenshot of the page at width×height CSS pixels (scale 1).</summary>
    private string Screenshot(string page, int width, int height)
    {
        var path = _directory.File("screenshot.png");
        var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
                     $"--user-data-dir={_directory.File("chromium-profile")}", $"--screenshot={path}", $"--window-size={width},{height}",
                     new Uri(page).AbsoluteUri,
                 })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "Chromium did not finish within a minute");
        Assert.True(process.ExitCode == 0 && File.Exists(path), $"Chromium failed ({process.ExitCode}): {error.Result}");
        return path;
    }

    public void Dispose() => _directory.Dispose();
}
