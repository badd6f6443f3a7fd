using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;
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
    public void A_1x1_conv_filter_is_drawn_as_one_block_of_its_input_weights_channel_c_at_row_c_over_width_and_column_c_mod_width()
    {
        // lenet-matconvnet's classifier: 10 filters of 500×1×1. As 500 one-pixel tiles each filter was a 6000-pixel strip.
        var history = History(filters: 10, channels: 500, side: 1, epochs: 2);
        using var picture = KernelPictures.Draw(history, upscale: 4);

        Assert.Equal((25 * 4, 20 * 4), (picture.Layout.TileWidth, picture.Layout.TileHeight)); // 500 = 25 × 20
        Assert.True(picture.Grid.Width < 4096, $"{picture.Grid.Width} pixels wide");
        // Channel 27 of filter 3 at epoch 1 sits in row 1, column 2 of the block, on the filter's own grey scale.
        var weight = history.Epochs[1].Weight;
        var (min, max) = KernelPictures.FiniteRange(weight.Filter(3));
        var group = picture.Filters.ToList().IndexOf(3);
        Assert.True(group >= 0);
        var (x, y) = (picture.Layout.TileLeft(group, 0) + 2 * 4 + 1, picture.Layout.TileTop(1, 0) + 1 * 4 + 1);
        Assert.Equal(ColorMap.Grey.Map(weight.Filter(3)[27], min, max), picture.Grid.GetPixel(x, y));
    }

    [Fact]
    public void A_1x1_filter_of_a_prime_channel_count_leaves_the_cells_past_its_last_channel_in_the_background_colour()
    {
        Assert.Equal((25, 20), KernelPictures.ChannelBlock(500));
        Assert.Equal((3, 3), KernelPictures.ChannelBlock(7));
        using var picture = KernelPictures.Draw(History(filters: 2, channels: 7, side: 1, epochs: 1), upscale: 4);

        // Cells 7 and 8 of the 3×3 block (row 2, columns 1 and 2) hold no channel.
        var (left, top) = (picture.Layout.TileLeft(0, 0), picture.Layout.TileTop(0, 0));
        Assert.Equal(LabelledGrid.Background, picture.Grid.GetPixel(left + 2 * 4 + 1, top + 2 * 4 + 1));
        Assert.Equal(LabelledGrid.Background, picture.Grid.GetPixel(left + 1 * 4 + 1, top + 2 * 4 + 1));
        Assert.NotEqual(LabelledGrid.Background, picture.Grid.GetPixel(left + 0 * 4 + 1, top + 2 * 4 + 1)); // channel 6
    }

    [Fact]
    public void Filters_that_would_make_a_row_too_wide_wrap_onto_lines_of_one_panel_per_epoch()
    {
        // 12 filters × 4 channels of 5×5 at zoom 40: 200-pixel tiles, a filter is 4·200 + 3·1 = 803 wide and filters are
        // 6 apart, so (4096 + 6) / (803 + 6) = 5 filters fit a line: lines of 5, 5 and 2 per epoch.
        using var picture = KernelPictures.Draw(History(12, 4, 5, 2), upscale: 40);

        // Width: margin 6 + label column 84 + 5·803 + 4·6 + margin 6 + colour bar 150. Each line has a 15 + 12 pixel
        // label band (filters, then channels) over its 200-pixel tiles: 227, lines 4 apart, so a panel is
        // 3·227 + 2·4 = 689 high; the panels are 10 apart under the 22-pixel title.
        Assert.Equal((4285, 6 + 22 + 2 * 689 + 10 + 6), (picture.Grid.Width, picture.Grid.Height));
        Assert.Equal(2, picture.Frames.Count);
        Assert.All(picture.Frames, f => Assert.Equal((4285, 6 + 22 + 689 + 6), (f.Width, f.Height))); // with the grid's colour bar
        // Filter 6 (line 1, second filter) channel 0 at epoch 1: left 90 + 809 = 899; top 28 + 699 (epoch 0's panel and
        // the gap) + 231 (line 0 and the gap) + 27 (the label band) = 985. In frame 1 (epoch 1 alone) it is at 28 + 231 + 27.
        Assert.Equal((899, 985), (picture.Layout.TileLeft(1, 0), picture.Layout.TileTop(1, 1)));
        Assert.Equal(picture.Frames[1].GetPixel(899 + 5, 286 + 5), picture.Grid.GetPixel(899 + 5, 985 + 5));
        Assert.Equal(LabelledGrid.Background, picture.Grid.GetPixel(899 - 1, 985 + 5)); // the gap before it
        Assert.NotEqual(LabelledGrid.Background, picture.Grid.GetPixel(899, 985));
    }

    [Fact]
    public void Lenet_matconvnets_500_filter_layer_gets_the_largest_zoom_whose_whole_grid_stays_within_8_million_pixels()
    {
        // Layer 4 of lenet-matconvnet is 500×50×4×4; the default shows its top 32 filters over epochs 0–3. At the target
        // zoom ⌈40 / 4⌉ = 10 and down to 6, the grid with its labels and gaps is past 8 Mpx (×8 was 3550×4080 = 14.5 Mpx
        // when only the tiles were counted). At ×5 (20-pixel tiles): a filter is 50·20 + 49 = 1049 wide, so 3 fit a
        // 4096-pixel line (11 lines per epoch); each line is 15 + 12 (filter and channel labels) + 20 high.
        var history = History(500, 50, 4, 4);

        using var picture = KernelPictures.Draw(history);

        Assert.Equal(5, picture.Zoom);
        var width = 6 + 84 + 3 * 1049 + 2 * 6 + 6 + 150;
        var height = 6 + 22 + 4 * (11 * 47 + 10 * 4) + 3 * 10 + 6;
        Assert.Equal((width, height), (picture.Grid.Width, picture.Grid.Height));
        Assert.True((long)width * height <= KernelPictures.MaxGridPixels, $"{width}×{height}");
        using var larger = KernelPictures.Draw(history, upscale: 6);
        Assert.True((long)larger.Grid.Width * larger.Grid.Height > KernelPictures.MaxGridPixels, "×6 would have fitted too");
        // The channel labels still fit over 20-pixel tiles, so each tile keeps its index.
        Assert.True(picture.Layout.TileLabels);
    }

    [Fact]
    public void Channel_labels_too_wide_for_their_tiles_take_no_band_so_many_epochs_still_fit_at_one_pixel_per_weight()
    {
        // 30 epochs of that layer: only ×1 fits. 4-pixel tiles cannot hold "c0", so each line is 15 + 4 high, not 15 + 12 + 4:
        // a filter is 50·4 + 49 = 249 wide, 16 fit a line, 2 lines an epoch: 30·(2·19 + 4) + 29·10 = 1550 rows of panels.
        using var picture = KernelPictures.Draw(History(500, 50, 4, 30));

        Assert.Equal(1, picture.Zoom);
        Assert.False(picture.Layout.TileLabels);
        Assert.Equal((6 + 84 + 16 * 249 + 15 * 6 + 6 + 150, 6 + 22 + 1550 + 6), (picture.Grid.Width, picture.Grid.Height));
    }

    [Fact]
    public void A_grid_past_the_pixel_budget_even_at_one_pixel_per_weight_is_refused_naming_the_options_that_show_less()
    {
        var error = Assert.Throws<ArgumentException>(() => KernelPictures.Draw(History(500, 50, 4, 60)));

        Assert.Contains("60 epoch(s) of 32 filter(s) × 50 channel(s)", error.Message);
        Assert.Contains("--epochs", error.Message);
        Assert.Contains("--top", error.Message);
    }

    [Fact]
    public void A_nan_weight_shows_in_magenta()
    {
        var history = History(1, 1, 3, 1);
        history.Epochs[0].Weight.Values[4] = float.NaN;

        using var picture = KernelPictures.Draw(history, upscale: 1);

        var (left, top) = (picture.Layout.TileLeft(0, 0), picture.Layout.TileTop(0, 0));
        Assert.Equal(ColorMap.NotANumber, picture.Grid.GetPixel(left + 1, top + 1));
        Assert.NotEqual(ColorMap.NotANumber, picture.Grid.GetPixel(left, top));
    }

    /// <summary>500 filters of 1×3×3 whose L2 norm grows with the index (filter f is all (f + 1)/1000), over 2 epochs.</summary>
    private static KernelHistory WideLayer() =>
        new("4.weight", Enumerable.Range(0, 2).Select(e =>
            (e, new WeightTensor("4.weight", [500, 1, 3, 3], [.. Enumerable.Range(0, 500 * 9).Select(i => (i / 9 + 1) / 1000f * (e + 1))]))).ToList());

    [Fact]
    public void A_wide_layer_shows_by_default_only_its_32_filters_of_largest_norm_largest_first()
    {
        using var picture = KernelPictures.Draw(WideLayer());

        Assert.Equal(Enumerable.Range(468, 32).Reverse(), picture.Filters);
        Assert.Contains("the 32 of 500 filters with the largest L2 norm at epoch 1", picture.Selection);
        // 32 tiles of 3×3 at ×14 = 42 pixels, 6 apart: the default picture stays one line wide, whatever the layer's size.
        // Beside one line of tiles the colour bar is compact: bar, room for its labels, then its caption at the right.
        Assert.Equal(6 + 84 + 32 * 42 + 31 * 6 + 6 + (12 + 14 + 5 + 72 + 8 + 136 + 6), picture.Grid.Width);
        // No empty band under the tiles: the picture is as tall as its title and its two epochs' lines of tiles.
        Assert.Equal(2 * 6 + 22 + 2 * (15 + 42) + 10, picture.Grid.Height);
    }

    [Fact]
    public void A_page_shows_filters_in_index_order_and_a_page_past_the_end_is_refused()
    {
        using var picture = KernelPictures.Draw(WideLayer(), new KernelSelection(Page: 2));
        Assert.Equal(Enumerable.Range(64, 32), picture.Filters);
        Assert.Contains("filters 64–95 of 500 (page 2 of 0–15)", picture.Selection);

        var error = Assert.Throws<ArgumentException>(() => KernelPictures.Draw(WideLayer(), new KernelSelection(Page: 16)));
        Assert.Contains("pages 0–15; there is no page 16", error.Message);
    }

    [Fact]
    public void The_change_view_draws_each_epoch_minus_the_baseline_on_one_symmetric_diverging_scale()
    {
        // One 1×1×2×2 filter: the baseline is 0.5 everywhere; epoch 1 moved its pixels by +0.2, −0.1, 0 and +0.05,
        // so the scale is ±0.2: +0.2 is the diverging map's red end, 0 its white middle.
        var baseline = new WeightTensor("0.weight", [1, 1, 2, 2], [0.5f, 0.5f, 0.5f, 0.5f]);
        var history = new KernelHistory("0.weight", [(0, baseline), (1, new WeightTensor("0.weight", [1, 1, 2, 2], [0.7f, 0.4f, 0.5f, 0.55f]))]);

        using var picture = KernelPictures.DrawChange(history, baseline, 0, upscale: 10);

        Pictures.Picture grid = picture.Grid;
        Rgb At(int epoch, int x, int y) => grid.GetPixel(picture.Layout.TileLeft(0, 0) + 10 * x + 5, picture.Layout.TileTop(epoch, 0) + 10 * y + 5);
        Assert.Equal("#67001f", At(1, 0, 0).ToHex()); // +0.2 = +max: the red end (ColorBrewer RdBu)
        Assert.Equal("#f7f7f7", At(1, 0, 1).ToHex()); // no change: the neutral middle
        Assert.Equal("#f7f7f7", At(0, 1, 1).ToHex()); // epoch 0 minus itself is zero everywhere
        Assert.True(At(1, 1, 0).B > At(1, 1, 0).R, "a decrease is blue");
        Assert.True(At(1, 1, 1).R > At(1, 1, 1).B, "an increase is red");
    }
}
