namespace Experiments.Visualization.Imaging;

/// <summary>
/// An 8-bit RGB or RGBA picture held row-major, top row first, channels interleaved: the layout PNG stores, so
/// encoding needs no conversion.
/// </summary>
public sealed class RasterImage
{
    public RasterImage(int width, int height, bool hasAlpha = false, byte[]? pixels = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Channels = hasAlpha ? 4 : 3;
        var length = checked(width * height * Channels);
        if (pixels is not null && pixels.Length != length)
            throw new ArgumentException($"a {width}×{height} {(hasAlpha ? "RGBA" : "RGB")} image needs {length} bytes, not {pixels.Length}", nameof(pixels));
        Pixels = pixels ?? new byte[length];
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>3 (RGB) or 4 (RGBA).</summary>
    public int Channels { get; }
    public bool HasAlpha => Channels == 4;
    public byte[] Pixels { get; }
    public int Stride => Width * Channels;

    public Rgb GetPixel(int x, int y)
    {
        var i = Offset(x, y);
        return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    /// <summary>Sets the colour; an RGBA image's pixel becomes opaque.</summary>
    public void SetPixel(int x, int y, Rgb colour)
    {
        var i = Offset(x, y);
        Pixels[i] = colour.R;
        Pixels[i + 1] = colour.G;
        Pixels[i + 2] = colour.B;
        if (HasAlpha) Pixels[i + 3] = 255;
    }

    public byte GetAlpha(int x, int y) => HasAlpha ? Pixels[Offset(x, y) + 3] : (byte)255;

    public void Fill(Rgb colour)
    {
        // One row by pixel, the others copied from it.
        for (var x = 0; x < Width; x++) SetPixel(x, 0, colour);
        for (var y = 1; y < Height; y++) Array.Copy(Pixels, 0, Pixels, y * Stride, Stride);
    }

    /// <summary>Fills the rectangle, clipped to the image.</summary>
    public void FillRectangle(int left, int top, int width, int height, Rgb colour)
    {
        for (var y = Math.Max(0, top); y < Math.Min(Height, top + height); y++)
            for (var x = Math.Max(0, left); x < Math.Min(Width, left + width); x++) SetPixel(x, y, colour);
    }

    private int Offset(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) lies outside the {Width}×{Height} image");
        return (y * Width + x) * Channels;
    }
}

/// <summary>An 8-bit colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static Rgb White { get; } = new(255, 255, 255);
    public static Rgb Black { get; } = new(0, 0, 0);

    /// <summary>#rrggbb, as SVG wants it.</summary>
    public string ToHex() => $"#{R:x2}{G:x2}{B:x2}";

    public static Rgb Grey(byte level) => new(level, level, level);
}
