using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Encoding_animations : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A 256×<paramref name="height"/> frame whose column x is grey level x (or 255 − x when reversed).</summary>
    private static Picture GreyRamp(int height, bool reversed)
    {
        var picture = new Picture(256, height, Rgb.Black);
        var levels = Enumerable.Range(0, 256).Select(x => Rgb.Grey((byte)(reversed ? 255 - x : x))).ToArray();
        picture.Paint(new GridTile(256, 1, levels), 0, 0, 256, height);
        return picture;
    }

    private static Rgb Source(Picture picture, int x, int y) => picture.GetPixel(x, y);

    [Fact]
    public void Frames_of_at_most_256_colours_keep_every_pixel_exactly()
    {
        // Every grey level, in both frames: neighbouring levels must stay apart (a cache keyed by 5 bits a channel
        // would draw 8 of them alike).
        using var rising = GreyRamp(4, reversed: false);
        using var falling = GreyRamp(4, reversed: true);
        var path = _folder.File("ramp.gif");

        Animation.WriteGif(path, [rising, falling], TimeSpan.FromMilliseconds(100));

        var animation = GifOracle.Decode(path, withPixels: true);
        Assert.Equal(2, animation.Frames.Count);
        foreach (var (frame, source) in animation.Frames.Zip([rising, falling]))
            for (var y = 0; y < 4; y++)
                for (var x = 0; x < 256; x++)
                    Assert.Equal(Source(source, x, y), frame.Canvas!.At(x, y));
    }

    [Fact]
    public void Frames_of_more_colours_than_gif_holds_draw_each_pixel_in_its_nearest_palette_colour_and_greys_within_two_levels_a_channel()
    {
        // Every grey level plus an anti-aliased label on the grids' blue-grey background: more than 256 colours.
        using var first = GreyRamp(40, reversed: false);
        using var second = GreyRamp(40, reversed: true);
        foreach (var frame in new[] { first, second })
        {
            frame.FillRectangle(0, 20, 256, 20, LabelledGrid.Background);
            PictureText.Draw(frame.Canvas, "epoch 12 of 30", 4, 35, PictureText.LabelSize, Rgb.White.ToSkia());
        }
        var colours = new[] { first, second }
            .SelectMany(f => Enumerable.Range(0, 40 * 256).Select(i => Source(f, i % 256, i / 256))).Distinct().Count();
        Assert.True(colours > 256, $"the frames have only {colours} colours");
        var path = _folder.File("labelled.gif");

        Animation.WriteGif(path, [first, second], TimeSpan.FromMilliseconds(100));

        var animation = GifOracle.Decode(path, withPixels: true);
        var decoded = animation.Frames.Select(f => f.Canvas!).ToList();
        var palette = decoded.SelectMany(c => Enumerable.Range(0, 40 * 256).Select(i => c.At(i % 256, i / 256))).Distinct().ToList();
        Assert.InRange(palette.Count, 2, 256);
        static int Distance(Rgb a, Rgb b) => (a.R - b.R) * (a.R - b.R) + (a.G - b.G) * (a.G - b.G) + (a.B - b.B) * (a.B - b.B);
        foreach (var (canvas, source) in decoded.Zip([first, second]))
            for (var y = 0; y < 40; y++)
                for (var x = 0; x < 256; x++)
                {
                    var (expected, drawn) = (Source(source, x, y), canvas.At(x, y));
                    // The colour drawn is one of the palette's nearest to the source colour…
                    Assert.Equal(palette.Min(p => Distance(p, expected)), Distance(drawn, expected));
                    // …and a grey tile stays within two levels in each channel.
                    if (y < 20)
                        Assert.True(new[] { drawn.R, drawn.G, drawn.B }.All(c => Math.Abs(c - expected.R) <= 2), $"grey {expected.R} at ({x}, {y}) became {drawn.ToHex()}");
                }
    }
}
