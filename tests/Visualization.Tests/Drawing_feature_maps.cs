using Experiments.Visualization.Imaging;
using Experiments.Visualization.Interpretability;
using Experiments.Visualization.Pictures;
using Experiments.Visualization.Tests.Support;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Drawing_feature_maps
{
    private static LayerActivation Maps(int epoch, int channels, int side, Func<int, float> value) =>
        new(epoch, 4, "conv2d 500@4×4", new Tensor([channels, side, side], [.. Enumerable.Range(0, channels * side * side).Select(value)]));

    private static DecodedPixels Pixels(Picture picture) => new(picture.Width, picture.Height, 4, picture.Rgba.ToArray());

    [Fact]
    public void Maps_of_one_pixel_are_drawn_as_one_block_per_epoch_channel_c_at_row_c_over_25_and_column_c_mod_25()
    {
        // lenet-matconvnet's layer 4 outputs 500×1×1. As 500 one-pixel maps enlarged to 56-pixel tiles, 25 a line, three
        // epochs made a 1790×6048 picture. Drawn as one 25×20 block a panel, at ×9 (about 224 pixels a side), each
        // panel is 15 + 180 pixels high.
        var epochs = Enumerable.Range(0, 3).Select(e => Maps(e, 500, 1, c => (float)Math.Sin(c * 0.37 + e))).ToList();

        var (grid, frames) = ActivationPictures.Draw(epochs, "Feature maps of layer 4");

        Assert.True((long)grid.Width * grid.Height < 1_000_000, $"{grid.Width}×{grid.Height}");
        Assert.Equal(2 * 6 + 22 + 3 * (15 + 180) + 2 * 10, grid.Height);
        Assert.Equal(3, frames.Count);
        // One grey scale for all epochs: sin runs over about −1…1 in each. Channel c of epoch 2 sits at row c / 25,
        // column c mod 25 of that epoch's block, 9 pixels a cell; the tiles start past the 84-pixel label column.
        var (low, high) = (epochs.Min(e => e.Output.Data.Min()), epochs.Max(e => e.Output.Data.Max()));
        var top = 6 + 22 + 2 * (15 + 180 + 10) + 15;
        var cells = new HashSet<Rgb>();
        foreach (var c in new[] { 0, 1, 26, 250, 499 })
        {
            var value = epochs[2].Output.Data[c];
            var expected = Rgb.Grey((byte)Math.Round((value - low) / (high - low) * 255));
            var pixel = grid.GetPixel(6 + 84 + c % 25 * 9 + 4, top + c / 25 * 9 + 4);
            Assert.Equal(expected, pixel);
            cells.Add(pixel);
        }
        Assert.Equal(5, cells.Count); // the cells differ, as their values do
        grid.Dispose();
        foreach (var frame in frames) frame.Dispose();
    }

    [Fact]
    public void Feature_maps_of_every_epoch_share_one_grey_scale_named_on_the_colour_bar_of_the_grid_and_of_every_frame()
    {
        // Epoch 0's maps run 0…1 and epoch 1's 0…4; the value 1 is in both (channel 0's first pixel). On one scale over
        // both epochs it is the same grey, 1/4 of the way to white, in the grid and in both animation frames.
        var epochs = new[]
        {
            Maps(0, 2, 4, i => i == 0 ? 1f : i % 2 == 0 ? 0f : 0.5f),
            Maps(1, 2, 4, i => i == 0 ? 1f : i == 1 ? 4f : 2f),
        };

        var (grid, frames) = ActivationPictures.Draw(epochs, "Feature maps of layer 0");

        // 4×4 maps at ×14 (about 56 pixels): 56-pixel tiles below a 15-pixel label band, panels 10 apart.
        var quarter = Rgb.Grey((byte)Math.Round(255 / 4.0));
        Assert.Equal(quarter, grid.GetPixel(6 + 84 + 5, 6 + 22 + 15 + 5));
        Assert.Equal(quarter, grid.GetPixel(6 + 84 + 5, 6 + 22 + 71 + 10 + 15 + 5));
        Assert.Equal(2, frames.Count);
        // The grid is as tall as its two panels: the colour bar beside them adds no band below.
        Assert.Equal(2 * 6 + 22 + 2 * 71 + 10, grid.Height);
        foreach (var frame in frames)
        {
            Assert.Equal(quarter, frame.GetPixel(6 + 84 + 5, 6 + 22 + 15 + 5));
            // Two panels (152 pixels) are shorter than the usual bar with its caption below (161): the bar is compact,
            // level with the tiles and as long as the grid's tiles (100 pixels), and every frame keeps the grid's bar.
            Assert.Equal((grid.Width, 2 * 6 + 22 + 15 + GridLayout.BarLength + 4), (frame.Width, frame.Height));
            // The colour bar, where the grid has it: black at the bottom to white at the top, its ends named 4 and 0.
            var barLeft = 6 + 84 + 2 * 56 + 6 + 6 + 12;
            var barTop = 6 + 22 + 15;
            Assert.Equal(Pixels(grid).At(barLeft + 7, barTop + 50), Pixels(frame).At(barLeft + 7, barTop + 50));
            Assert.True(frame.GetPixel(barLeft + 7, barTop + 1).R > 250 && frame.GetPixel(barLeft + 7, barTop + 98).R < 5);
            var labels = (barLeft, barTop - 14, GridLayout.BarAreaWidth - 12, GridLayout.BarLength + 28);
            Assert.Equal([(barLeft + 14 + 5, barTop + 9)], LabelFinder.Find(Pixels(frame), "4", PictureText.SmallSize, LabelledGrid.Background, Rgb.White, labels));
            Assert.Equal([(barLeft + 14 + 5, barTop + 100)], LabelFinder.Find(Pixels(frame), "0", PictureText.SmallSize, LabelledGrid.Background, Rgb.White, labels));
            frame.Dispose();
        }
        grid.Dispose();
    }
}
