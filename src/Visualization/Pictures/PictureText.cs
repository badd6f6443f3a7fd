using SkiaSharp;

namespace Experiments.Visualization.Pictures;

/// <summary>
/// The one typeface every picture's labels use: Debian's DejaVu Sans (package fonts-dejavu-core), loaded from its
/// file rather than through fontconfig, so the same label renders to the same pixels on every machine that has the
/// package. Sizes are in pixels.
/// </summary>
public static class PictureText
{
    /// <summary>Where fonts-dejavu-core installs the regular face.</summary>
    public const string DejaVuSansPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    /// <summary>Titles.</summary>
    public const float TitleSize = 14;

    /// <summary>Row, column and colour-bar labels.</summary>
    public const float LabelSize = 12;

    /// <summary>Channel indices and the colour bar's caption.</summary>
    public const float SmallSize = 10;

    private static readonly Lazy<SKTypeface> Face = new(() =>
        File.Exists(DejaVuSansPath) && SKTypeface.FromFile(DejaVuSansPath) is { } face
            ? face
            : throw new FileNotFoundException(
                $"the label font {DejaVuSansPath} is missing; install Debian's fonts-dejavu-core (the launcher does)", DejaVuSansPath));

    public static SKTypeface Typeface => Face.Value;

    // One font per size and thread: a grid measures and draws thousands of labels, and SKFont is not thread-safe.
    [ThreadStatic] private static Dictionary<float, SKFont>? _fonts;

    /// <summary>The label typeface at <paramref name="size"/>: antialiased, no subpixel positioning, so text lands on whole pixels. Shared: do not dispose.</summary>
    public static SKFont Font(float size)
    {
        _fonts ??= [];
        if (!_fonts.TryGetValue(size, out var font))
            _fonts[size] = font = new SKFont(Typeface, size) { Edging = SKFontEdging.Antialias, Subpixel = false, Hinting = SKFontHinting.Normal };
        return font;
    }

    /// <summary>The advance width of <paramref name="text"/> in pixels, rounded up.</summary>
    public static int Width(string text, float size) => (int)Math.Ceiling(Font(size).MeasureText(text));

    /// <summary>
    /// Draws <paramref name="text"/> with its baseline at <paramref name="baseline"/>, starting at <paramref name="left"/>
    /// (both whole pixels, so a test can render the same label on its own and find it pixel for pixel).
    /// </summary>
    public static void Draw(SKCanvas canvas, string text, int left, int baseline, float size, SKColor colour)
    {
        using var paint = new SKPaint { Color = colour, IsAntialias = true };
        canvas.DrawText(text, left, baseline, SKTextAlign.Left, Font(size), paint);
    }

    /// <summary>Draws text centred on <paramref name="centre"/> (the left edge rounded to a whole pixel).</summary>
    public static void DrawCentred(SKCanvas canvas, string text, int centre, int baseline, float size, SKColor colour) =>
        Draw(canvas, text, centre - Width(text, size) / 2, baseline, size, colour);
}
