using Experiments.Visualization.Imaging;
using SkiaSharp;

namespace Experiments.Visualization.Pictures;

/// <summary>
/// An opaque 8-bit RGBA picture on a SkiaSharp bitmap: pixels written directly for tiles of values, text and shapes
/// drawn through <see cref="Canvas"/>, PNG encoded by Skia.
/// </summary>
public sealed class Picture : IDisposable
{
    private readonly SKBitmap _bitmap;
    private SKCanvas? _canvas;

    public Picture(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        _bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        _bitmap.Erase(background.ToSkia());
    }

    public int Width => _bitmap.Width;
    public int Height => _bitmap.Height;

    /// <summary>For text and shapes; created on first use.</summary>
    public SKCanvas Canvas => _canvas ??= new SKCanvas(_bitmap);

    /// <summary>Row-major RGBA bytes, top row first (flushes pending drawing first).</summary>
    public ReadOnlySpan<byte> Rgba
    {
        get
        {
            _canvas?.Flush();
            return _bitmap.GetPixelSpan();
        }
    }

    public Rgb GetPixel(int x, int y)
    {
        var i = Offset(x, y);
        var pixels = Rgba;
        return new Rgb(pixels[i], pixels[i + 1], pixels[i + 2]);
    }

    /// <summary>
    /// Paints <paramref name="tile"/> with its top-left corner at (left, top), resampled by nearest neighbour to
    /// width×height screen pixels, so each source pixel of a whole-number enlargement stays a crisp square.
    /// </summary>
    public void Paint(GridTile tile, int left, int top, int width, int height)
    {
        _canvas?.Flush();
        var pixels = _bitmap.GetPixelSpan();
        var (x0, x1) = (Math.Max(0, left), Math.Min(Width, left + width));
        if (x1 <= x0) return;
        var previousSourceRow = -1;
        var previousRow = -1;
        for (var y = Math.Max(0, top); y < Math.Min(Height, top + height); y++)
        {
            var sourceRow = (int)((long)(y - top) * tile.Height / height);
            var row = pixels.Slice((y * Width + x0) * 4, (x1 - x0) * 4);
            if (sourceRow == previousSourceRow)
            {
                // An enlarged pixel's later rows repeat its first: copy the row already painted.
                pixels.Slice((previousRow * Width + x0) * 4, row.Length).CopyTo(row);
                previousRow = y;
                continue;
            }
            for (var x = x0; x < x1; x++)
            {
                var colour = tile.Pixels[sourceRow * tile.Width + (int)((long)(x - left) * tile.Width / width)];
                var i = (x - x0) * 4;
                row[i] = colour.R;
                row[i + 1] = colour.G;
                row[i + 2] = colour.B;
                row[i + 3] = 255;
            }
            (previousSourceRow, previousRow) = (sourceRow, y);
        }
    }

    public void FillRectangle(int left, int top, int width, int height, Rgb colour)
    {
        using var paint = new SKPaint { Color = colour.ToSkia(), IsAntialias = false };
        Canvas.DrawRect(left, top, width, height, paint);
    }

    public byte[] EncodePng()
    {
        _canvas?.Flush();
        using var pixmap = _bitmap.PeekPixels();
        // Sub and Up suit these pictures (flat runs, repeated rows of enlarged pixels) and cost a fraction of trying
        // all five filters on every row; zlib level 4 compresses them nearly as well as the default 6, in less time.
        using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.Sub | SKPngEncoderFilterFlags.Up, 4))
                         ?? throw new InvalidOperationException($"SkiaSharp could not encode a {Width}×{Height} PNG");
        return data.ToArray();
    }

    /// <summary>Writes the PNG, creating the folder if needed.</summary>
    public void WritePng(string path)
    {
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        File.WriteAllBytes(path, EncodePng());
    }

    public void Dispose()
    {
        _canvas?.Dispose();
        _bitmap.Dispose();
    }

    private int Offset(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) lies outside the {Width}×{Height} picture");
        return (y * Width + x) * 4;
    }
}

/// <summary>A small picture (source pixels, row-major) that a grid enlarges into one of its tiles.</summary>
public sealed record GridTile(int Width, int Height, Rgb[] Pixels)
{
    /// <summary>
    /// Row-major <paramref name="values"/> through <paramref name="map"/>, [min, max] onto the map's ends; an infinite
    /// value is drawn in <see cref="ColorMap.NotANumber"/> like NaN, so a diverged weight cannot pass for a large one.
    /// </summary>
    public static GridTile FromValues(ReadOnlySpan<float> values, int width, int height, ColorMap map, double min, double max)
    {
        if (values.Length != width * height)
            throw new ArgumentException($"{values.Length} values do not make a {width}×{height} picture", nameof(values));
        var pixels = new Rgb[values.Length];
        for (var i = 0; i < values.Length; i++)
            pixels[i] = float.IsInfinity(values[i]) ? ColorMap.NotANumber : map.Map(values[i], min, max);
        return new GridTile(width, height, pixels);
    }

    /// <summary>Signed values on a diverging map: zero in the middle, ±<paramref name="maxAbs"/> at the ends.</summary>
    public static GridTile FromSignedValues(ReadOnlySpan<float> values, int width, int height, ColorMap map, double maxAbs) =>
        FromValues(values, width, height, map, -maxAbs, maxAbs);

    /// <summary>
    /// A dataset image as the model sees it (C×H×W, normalised to [−1, 1]) back in 8-bit: grey for one channel, RGB
    /// from the first three otherwise.
    /// </summary>
    public static GridTile FromImage(ReadOnlySpan<float> pixels, int channels, int height, int width)
    {
        var plane = height * width;
        var result = new Rgb[plane];
        for (var i = 0; i < plane; i++)
            result[i] = channels >= 3
                ? new Rgb(Level(pixels[i]), Level(pixels[plane + i]), Level(pixels[2 * plane + i]))
                : Rgb.Grey(Level(pixels[i]));
        return new GridTile(width, height, result);
    }

    private static byte Level(float value) => (byte)Math.Round(Math.Clamp((value + 1) / 2, 0, 1) * 255);

    /// <summary>Light grey with darker diagonal stripes, 16 pixels apart: the tile of a map that has nothing to show.</summary>
    public static GridTile Hatched(int width, int height)
    {
        var pixels = new Rgb[width * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                pixels[y * width + x] = (x + y) % 16 < 3 ? Rgb.Grey(150) : Rgb.Grey(225);
        return new GridTile(width, height, pixels);
    }

    /// <summary>Half the image in grey, half the heat colour: a heat map laid over its image.</summary>
    public static GridTile Overlay(GridTile image, GridTile heat)
    {
        if ((image.Width, image.Height) != (heat.Width, heat.Height))
            throw new ArgumentException($"the image is {image.Width}×{image.Height} and the map {heat.Width}×{heat.Height}");
        var pixels = new Rgb[image.Pixels.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            var (p, h) = (image.Pixels[i], heat.Pixels[i]);
            var grey = (p.R + p.G + p.B) / 3.0;
            pixels[i] = new Rgb(Blend(grey, h.R), Blend(grey, h.G), Blend(grey, h.B));
        }
        return new GridTile(image.Width, image.Height, pixels);
    }

    private static byte Blend(double grey, byte heat) => (byte)Math.Round(0.5 * grey + 0.5 * heat);
}
