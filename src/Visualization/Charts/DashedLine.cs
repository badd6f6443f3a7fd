using ScottPlot;
using SkiaSharp;

namespace Experiments.Visualization.Charts;

/// <summary>
/// A dashed polyline drawn as separate strokes. ScottPlot dashes lines with a Skia path effect, which Skia's SVG
/// backend does not support: it prints "Unsupported path effect" to standard error for every dashed line. Cutting the
/// dashes ourselves, in pixels after layout, gives the same picture in SVG and PNG with nothing printed.
/// </summary>
internal sealed class DashedLine(IReadOnlyList<ChartPoint> points, Color colour, float width) : IPlottable
{
    // Dash and gap lengths in pixels.
    internal const float On = 7, Off = 4;

    public bool IsVisible { get; set; } = true;

    public IAxes Axes { get; set; } = new Axes();

    public IEnumerable<LegendItem> LegendItems => [];

    public AxisLimits GetAxisLimits() => points.Count == 0
        ? AxisLimits.NoLimits
        : new AxisLimits(points.Min(p => p.X), points.Max(p => p.X), points.Min(p => p.Y), points.Max(p => p.Y));

    public void Render(RenderPack rp)
    {
        using var paint = Stroke(colour, width);
        using var path = new SKPath();
        AddDashes(path, [.. points.Select(p => Axes.GetPixel(new Coordinates(p.X, p.Y)))]);
        rp.Canvas.DrawPath(path, paint);
    }

    internal static SKPaint Stroke(Color colour, float width) => new()
    {
        Color = new SKColor(colour.R, colour.G, colour.B, colour.A), StrokeWidth = width, IsStroke = true, IsAntialias = true,
        StrokeCap = SKStrokeCap.Butt,
    };

    /// <summary>Adds the dashes of the polyline through <paramref name="pixels"/> to <paramref name="path"/>, the pattern running on across vertices.</summary>
    internal static void AddDashes(SKPath path, IReadOnlyList<Pixel> pixels)
    {
        // Where in the on/off cycle the line is, carried across vertices so the pattern runs on smoothly.
        var phase = 0f;
        for (var i = 1; i < pixels.Count; i++)
        {
            var (a, b) = (pixels[i - 1], pixels[i]);
            var length = MathF.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y));
            if (length == 0) continue;
            var (dx, dy) = ((b.X - a.X) / length, (b.Y - a.Y) / length);
            var at = 0f;
            while (at < length)
            {
                var drawing = phase < On;
                var step = Math.Min(length - at, drawing ? On - phase : On + Off - phase);
                if (drawing)
                {
                    path.MoveTo(a.X + dx * at, a.Y + dy * at);
                    path.LineTo(a.X + dx * (at + step), a.Y + dy * (at + step));
                }
                at += step;
                phase = (phase + step) % (On + Off);
            }
        }
    }
}

/// <summary>
/// A legend symbol that shows a dashed series as it is drawn: a dashed line sample (the dashes of <see cref="DashedLine"/>)
/// with, if the series has dots, an open dot in its middle. ScottPlot's own legend line would need the path effect that
/// SVG lacks, so this draws in the marker's place; <paramref name="length"/> is the legend's symbol width.
/// </summary>
internal sealed class DashedLegendSample(Color colour, float width, float length, bool dot) : IMarker
{
    public void Render(SKCanvas canvas, Paint paint, Pixel center, float size, MarkerStyle markerStyle)
    {
        using var stroke = DashedLine.Stroke(colour, width);
        using var path = new SKPath();
        DashedLine.AddDashes(path, [new Pixel(center.X - length / 2, center.Y), new Pixel(center.X + length / 2, center.Y)]);
        canvas.DrawPath(path, stroke);
        if (!dot) return;
        // The open dot of the series' markers, on a white disc so the dash under it does not cross it.
        using var fill = new SKPaint { Color = SKColors.White, IsAntialias = true, Style = SKPaintStyle.Fill };
        canvas.DrawCircle(center.X, center.Y, size / 2, fill);
        canvas.DrawCircle(center.X, center.Y, size / 2, stroke);
    }
}
