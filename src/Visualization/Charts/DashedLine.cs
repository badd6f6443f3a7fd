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
    private const float On = 7, Off = 4;

    public bool IsVisible { get; set; } = true;

    public IAxes Axes { get; set; } = new Axes();

    public IEnumerable<LegendItem> LegendItems => [];

    public AxisLimits GetAxisLimits() => points.Count == 0
        ? AxisLimits.NoLimits
        : new AxisLimits(points.Min(p => p.X), points.Max(p => p.X), points.Min(p => p.Y), points.Max(p => p.Y));

    public void Render(RenderPack rp)
    {
        using var paint = new SKPaint
        {
            Color = new SKColor(colour.R, colour.G, colour.B, colour.A), StrokeWidth = width, IsStroke = true, IsAntialias = true,
            StrokeCap = SKStrokeCap.Butt,
        };
        using var path = new SKPath();
        // Where in the on/off cycle the line is, carried across vertices so the pattern runs on smoothly.
        var phase = 0f;
        for (var i = 1; i < points.Count; i++)
        {
            var (a, b) = (Axes.GetPixel(new Coordinates(points[i - 1].X, points[i - 1].Y)), Axes.GetPixel(new Coordinates(points[i].X, points[i].Y)));
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
        rp.Canvas.DrawPath(path, paint);
    }
}
