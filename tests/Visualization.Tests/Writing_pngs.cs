using Experiments.Visualization.Imaging;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Writing_pngs : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Crc32_gives_the_standard_check_value()
    {
        // The CRC-32/ISO-HDLC check value of the nine ASCII digits, from the CRC catalogue.
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
    }

    [Theory]
    [InlineData(false, 33, 17)]
    [InlineData(true, 19, 23)]
    [InlineData(false, 1, 1)]
    public void A_decoder_reads_back_every_pixel(bool alpha, int width, int height)
    {
        // Noise in some rows and gradients in others, so every one of the five row filters gets chosen somewhere.
        var random = new Random(width * 100 + height);
        var image = new RasterImage(width, height, alpha);
        for (var y = 0; y < height; y++)
            for (var i = 0; i < image.Stride; i++)
                image.Pixels[y * image.Stride + i] = y % 3 == 0 ? (byte)random.Next(256) : (byte)(i * 7 + y * 13);
        var path = _folder.File("image.png");

        PngEncoder.Write(path, image);
        var decoded = PngOracle.Decode(path);

        Assert.Equal((width, height, alpha ? 4 : 3), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.Equal(["IHDR", "IDAT", "IEND"], decoded.Chunks);
        Assert.Equal(image.Pixels, decoded.Frames.Single().Pixels);
    }

    [Fact]
    public void Rows_take_several_filter_types_and_all_decode()
    {
        // Noise rows, horizontal ramps, vertical ramps and repeated rows favour different filters.
        var image = new RasterImage(64, 40);
        var random = new Random(3);
        for (var y = 0; y < 40; y++)
            for (var x = 0; x < 64; x++)
            {
                var level = (y / 10) switch { 0 => random.Next(256), 1 => x * 4, 2 => y * 6 + x % 2, _ => 77 };
                image.SetPixel(x, y, new Rgb((byte)level, (byte)(level / 2), (byte)(255 - level)));
            }
        var path = _folder.File("filters.png");

        PngEncoder.Write(path, image);
        var frame = PngOracle.Decode(path).Frames.Single();

        Assert.True(frame.FiltersUsed.Count >= 3, "filters used: " + string.Join(", ", frame.FiltersUsed));
        Assert.Equal(image.Pixels, frame.Pixels);
    }

    [Fact]
    public void An_animated_png_holds_every_frame_in_order_with_its_delay()
    {
        var frames = Enumerable.Range(0, 4).Select(f =>
        {
            var frame = new RasterImage(6, 4);
            frame.Fill(Rgb.Grey((byte)(f * 60)));
            frame.SetPixel(f, 1, new Rgb(255, 0, 0)); // a red dot that walks right
            return frame;
        }).ToList();
        var path = _folder.File("animation.png");

        PngEncoder.WriteAnimation(path, frames, TimeSpan.FromMilliseconds(250));
        var decoded = PngOracle.Decode(path);

        Assert.Equal(4, decoded.FrameCount);
        Assert.Equal(["IHDR", "acTL", "fcTL", "IDAT", "fcTL", "fdAT", "fcTL", "fdAT", "fcTL", "fdAT", "IEND"], decoded.Chunks);
        for (var f = 0; f < 4; f++)
        {
            var frame = decoded.Frames[f];
            Assert.Equal((6, 4, 0, 0), (frame.Width, frame.Height, frame.X, frame.Y));
            Assert.Equal(250.0 / 1000, (double)frame.DelayNumerator!.Value / frame.DelayDenominator!.Value);
            Assert.Equal(((byte)255, (byte)0, (byte)0), frame.Rgb(f, 1, 3));
            Assert.Equal(((byte)(f * 60), (byte)(f * 60), (byte)(f * 60)), frame.Rgb(5, 3, 3));
        }
    }

    [Fact]
    public void Frames_of_different_sizes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => PngEncoder.EncodeAnimation([new RasterImage(2, 2), new RasterImage(3, 2)], TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Upscaling_turns_each_pixel_into_a_crisp_block()
    {
        var image = new RasterImage(2, 2);
        image.SetPixel(0, 0, new Rgb(10, 20, 30));
        image.SetPixel(1, 0, new Rgb(40, 50, 60));
        image.SetPixel(0, 1, new Rgb(70, 80, 90));
        image.SetPixel(1, 1, new Rgb(100, 110, 120));
        var path = _folder.File("scaled.png");

        PngEncoder.Write(path, Raster.Upscale(image, 3));
        var decoded = PngOracle.Decode(path);

        Assert.Equal((6, 6), (decoded.Width, decoded.Height));
        var frame = decoded.Frames.Single();
        for (var y = 0; y < 6; y++)
            for (var x = 0; x < 6; x++)
            {
                var source = image.GetPixel(x / 3, y / 3);
                Assert.Equal((source.R, source.G, source.B), frame.Rgb(x, y, 3));
            }
    }

    [Fact]
    public void A_grid_places_tiles_with_padding_group_gaps_and_margin()
    {
        // 2 rows × 6 columns of 10×8 tiles in groups of 2: width = 2·2 + 6·10 + (6 − 3)·1 + (3 − 1)·4 = 75,
        // height = 2·2 + 2·8 + 1·1 = 21.
        var layout = new GridLayout(TileWidth: 10, TileHeight: 8, Rows: 2, Columns: 6, Padding: 1, GroupSize: 2, GroupGap: 4, Margin: 2);
        var tiles = Enumerable.Range(0, 2).Select(r => (IReadOnlyList<RasterImage?>)Enumerable.Range(0, 6).Select(c =>
        {
            var tile = new RasterImage(10, 8);
            tile.Fill(new Rgb((byte)(r * 100), (byte)(c * 40), 7));
            return (RasterImage?)tile;
        }).ToList()).ToList();
        var path = _folder.File("grid.png");

        PngEncoder.Write(path, ImageGrid.Compose(tiles, layout, Rgb.White));
        var decoded = PngOracle.Decode(path);

        Assert.Equal((75, 21), (decoded.Width, decoded.Height));
        var frame = decoded.Frames.Single();
        // Column 3 (second of group 1) starts at 2 + 3·10 + (3 − 1)·1 + 1·4 = 38; row 1 at 2 + 8 + 1 = 11.
        Assert.Equal(((byte)100, (byte)120, (byte)7), frame.Rgb(38, 11, 3));
        Assert.Equal(((byte)100, (byte)120, (byte)7), frame.Rgb(47, 18, 3));
        Assert.Equal(((byte)255, (byte)255, (byte)255), frame.Rgb(37, 11, 3)); // the padding before it
        Assert.Equal(((byte)255, (byte)255, (byte)255), frame.Rgb(48, 11, 3)); // the group gap after it
        Assert.Equal(((byte)255, (byte)255, (byte)255), frame.Rgb(0, 0, 3));   // the margin
    }

    [Fact]
    public void Values_become_grey_levels_from_black_at_the_minimum_to_white_at_the_maximum()
    {
        float[] values = [-0.5f, 0f, 0.25f, 1.5f];
        var path = _folder.File("values.png");

        PngEncoder.Write(path, Raster.FromValues(values, 2, 2, ColorMap.Grey));
        var frame = PngOracle.Decode(path).Frames.Single();

        // (v − min)/(max − min)·255, rounded: 0, 63.75 → 64, 95.625 → 96, 255.
        Assert.Equal([0, 64, 96, 255], [frame.Rgb(0, 0, 3).R, frame.Rgb(1, 0, 3).R, frame.Rgb(0, 1, 3).R, frame.Rgb(1, 1, 3).R]);
    }

    [Fact]
    public void Colour_maps_have_their_published_end_points()
    {
        Assert.Equal(new Rgb(0, 0, 0), ColorMap.Grey.Map(0));
        Assert.Equal(new Rgb(255, 255, 255), ColorMap.Grey.Map(1));
        Assert.Equal(new Rgb(128, 128, 128), ColorMap.Grey.Map(0.5));
        Assert.Equal("#440154", ColorMap.Viridis.Map(0).ToHex()); // matplotlib's viridis(0.0)
        Assert.Equal("#fde725", ColorMap.Viridis.Map(1).ToHex()); // viridis(1.0)
        Assert.Equal("#f7f7f7", ColorMap.Diverging.MapSigned(0, 3).ToHex()); // zero is the neutral middle
        Assert.Equal("#053061", ColorMap.Diverging.MapSigned(-3, 3).ToHex());
        Assert.Equal("#67001f", ColorMap.Diverging.MapSigned(3, 3).ToHex());
        Assert.Equal(ColorMap.NotANumber, ColorMap.Viridis.Map(double.NaN));
    }
}
