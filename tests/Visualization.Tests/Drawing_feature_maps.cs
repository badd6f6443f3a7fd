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
        foreach (var frame in frames)
        {
            Assert.Equal(quarter, frame.GetPixel(6 + 84 + 5, 6 + 22 + 15 + 5));
            Assert.Equal((grid.Width, 2 * 6 + 22 + GridLayout.BarAreaHeight), (frame.Width, frame.Height));
            // The colour bar, where the grid has it: black at the bottom to white at the top, its ends named 4 and 0.
            var barLeft = 6 + 84 + 2 * 56 + 6 + 6 + 12;
            var barTop = 6 + 22 + 14;
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
