using System.Text.Json;
using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;

namespace Experiments.Visualization.Tests.Support;

/// <summary>Decoded pixels of one picture: row-major, <see cref="Channels"/> bytes a pixel (RGB first).</summary>
public sealed record DecodedPixels(int Width, int Height, int Channels, byte[] Pixels)
{
    public Rgb At(int x, int y)
    {
        var i = (y * Width + x) * Channels;
        return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    public static DecodedPixels Of(DecodedPng png) => new(png.Width, png.Height, png.Channels, png.Frames[0].Pixels!);
}

/// <summary>
/// Finds a label in a decoded picture: the label is rendered on its own, with the pictures' font and size
/// (<see cref="PictureText"/>) on the same background, into a reference bitmap, which is then looked for pixel by pixel.
/// </summary>
public static class LabelFinder
{
    /// <summary>
    /// The baseline origins (left, baseline) in the search rectangle where <paramref name="text"/> appears, every pixel
    /// within <paramref name="tolerance"/> grey levels per channel (0 for a PNG; a little for a GIF's palette).
    /// </summary>
    public static IReadOnlyList<(int X, int Baseline)> Find(DecodedPixels picture, string text, float size, Rgb background, Rgb colour,
        (int Left, int Top, int Width, int Height) search, int tolerance = 0)
    {
        const int ascent = 12;
        var (width, height) = (PictureText.Width(text, size) + 2, (int)size + 5);
        using var reference = new Picture(width, height, background);
        PictureText.Draw(reference.Canvas, text, 0, ascent, size, colour.ToSkia());
        var expected = new Rgb[width * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++) expected[y * width + x] = reference.GetPixel(x, y);

        var found = new List<(int, int)>();
        for (var top = Math.Max(0, search.Top); top + height <= Math.Min(picture.Height, search.Top + search.Height); top++)
            for (var left = Math.Max(0, search.Left); left + width <= Math.Min(picture.Width, search.Left + search.Width); left++)
                if (Matches(picture, expected, width, height, left, top, tolerance)) found.Add((left, top + ascent));
        return found;
    }

    private static bool Matches(DecodedPixels picture, Rgb[] expected, int width, int height, int left, int top, int tolerance)
    {
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var (a, b) = (picture.At(left + x, top + y), expected[y * width + x]);
                if (Math.Abs(a.R - b.R) > tolerance || Math.Abs(a.G - b.G) > tolerance || Math.Abs(a.B - b.B) > tolerance) return false;
            }
        return true;
    }
}

/// <summary>A GIF as tests/Visualization.Tests/oracle/gif_decode.py (struct and its own LZW decoder) reads it.</summary>
public sealed record DecodedGif(int Width, int Height, int? Loop, IReadOnlyList<DecodedGifFrame> Frames);

/// <param name="Canvas">The whole canvas after this frame is drawn (RGB), when asked for.</param>
public sealed record DecodedGifFrame(int Delay, int Colours, bool Uniform, DecodedPixels? Canvas);

public static class GifOracle
{
    public static DecodedGif Decode(string path, bool withPixels = false)
    {
        using var json = JsonDocument.Parse(PngOracle.Run("gif_decode.py", withPixels ? [path, "--pixels"] : [path]));
        var root = json.RootElement;
        var (width, height) = (root.GetProperty("width").GetInt32(), root.GetProperty("height").GetInt32());
        return new DecodedGif(width, height, root.GetProperty("loop").ValueKind == JsonValueKind.Null ? null : root.GetProperty("loop").GetInt32(),
            root.GetProperty("frames").EnumerateArray().Select(f => new DecodedGifFrame(f.GetProperty("delay").GetInt32(), f.GetProperty("colours").GetInt32(),
                f.GetProperty("uniform").GetBoolean(),
                f.TryGetProperty("pixels", out var px) ? new DecodedPixels(width, height, 3, Convert.FromHexString(px.GetString()!)) : null)).ToList());
    }
}
