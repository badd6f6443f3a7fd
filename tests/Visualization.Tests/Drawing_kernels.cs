using Experiments.Visualization.Imaging;
using Experiments.Visualization.Snapshots;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Drawing_kernels
{
    private static KernelHistory History(int filters, int channels, int side, int epochs) =>
        new("0.weight", Enumerable.Range(0, epochs).Select(e =>
            (e, new WeightTensor("0.weight", [filters, channels, side, side],
                [.. Enumerable.Range(0, filters * channels * side * side).Select(i => (float)Math.Sin(i * 0.7 + e))]))).ToList());

    [Fact]
    public void Filters_that_would_make_a_row_too_wide_wrap_onto_lines_of_one_panel_per_epoch()
    {
        // 12 filters × 4 channels of 5×5 at zoom 40: 200-pixel tiles, a filter is 4·200 + 3 = 803 wide, the gap
        // max(4, 40 / 2) = 20, so (4096 − 4 + 20) / (803 + 20) = 4 filters fit a line: 3 lines per epoch.
        var picture = KernelPictures.Draw(History(12, 4, 5, 2), upscale: 40);

        // Width: 2·2 + 16·200 + (16 − 4)·1 + 3·20. Height: 6 lines: 2·2 + 6·200 + (6 − 2)·20 + 1·60 between the epochs.
        Assert.Equal((3276, 1344), (picture.Grid.Width, picture.Grid.Height));
        Assert.Equal(2, picture.Frames.Count);
        Assert.All(picture.Frames, f => Assert.Equal((3276, 4 + 3 * 200 + 2 * 20), (f.Width, f.Height)));
        // Filter 5 (line 1, second filter) channel 0 at epoch 1: left 2 + 4·200 + 3·1 + 1·20 = 825;
        // top 2 + 3·200 + 2·20 + 60 (epoch 0's panel and the epoch gap) + 200 + 20 (line 0 of epoch 1) = 922.
        Assert.Equal(picture.Frames[1].GetPixel(825 + 5, 2 + 200 + 20 + 5), picture.Grid.GetPixel(825 + 5, 922 + 5));
        Assert.Equal(KernelPictures.Background, picture.Grid.GetPixel(825 - 1, 922 + 5)); // the gap before it
        Assert.NotEqual(KernelPictures.Background, picture.Grid.GetPixel(825, 922));
    }

    [Fact]
    public void Deep_layers_over_many_epochs_get_a_smaller_zoom_to_stay_within_the_pixel_budget()
    {
        // ⌈40 / 5⌉ = 8 by default; 61,440 tiles of (5z + 1)² pixels fit 8 million only for z ≤ 2 (121 ≤ 130.2 < 256).
        Assert.Equal(8, KernelPictures.DefaultUpscale(5, 5, tiles: 100));
        Assert.Equal(2, KernelPictures.DefaultUpscale(5, 5, tiles: 30 * 64 * 32));
        Assert.Equal(1, KernelPictures.DefaultUpscale(5, 5, tiles: 10_000_000));
    }

    [Fact]
    public void A_nan_weight_shows_in_magenta()
    {
        var history = History(1, 1, 3, 1);
        history.Epochs[0].Weight.Values[4] = float.NaN;

        var picture = KernelPictures.Draw(history, upscale: 1);

        Assert.Equal(ColorMap.NotANumber, picture.Grid.GetPixel(2 + 1, 2 + 1));
        Assert.NotEqual(ColorMap.NotANumber, picture.Grid.GetPixel(2, 2));
    }
}
