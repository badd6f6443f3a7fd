using Experiments.Analysis.Decoding;
using Xunit;

namespace Experiments.Analysis.Tests.Decoding;

/// <summary>
/// Seed 003's supplementary "simpler case": nets whose filters are written by hand, so every decoded value can be
/// worked out on paper. Each expected array below is that paper work, written out in the comments.
/// </summary>
public sealed class Decoding_hand_made_filters
{
    // Layer 1: two single-channel 2×2 filters, a "top bar" and a "bottom edge".
    private static readonly FilterBank FirstLayer = new(2, 1, 2, 2,
    [
        1, 2,
        0, 0,

        0, 0,
        1, -1,
    ]);

    [Fact]
    public void Substitution_places_each_lower_filter_at_each_value_scaled_by_it_and_adds_the_overlaps()
    {
        // Layer 2: one filter over the two channels, 1×2: channel 0 = [1 1], channel 1 = [2 0].
        var top = new FilterBank(1, 2, 1, 2, [1, 1, 2, 0]);

        var decoded = FilterDecoding.Decode(top, 0, [new Substitution(FirstLayer)], Unpooling.Nearest);

        // Channel 0: filter 0 placed at column 0 (×1) and column 1 (×1): row 0 = [1, 2+1, 2], row 1 = [0, 0, 0].
        // Channel 1: filter 1 placed at column 0 (×2), column 1 (×0): row 0 = [0, 0, 0], row 1 = [2, −2, 0].
        // Sum over channels: a 1×2 filter on 2×2 filters gives 2×3 (003: "input plus filter", minus one).
        Assert.Equal((1, 2, 3), (decoded.Channels, decoded.Height, decoded.Width));
        Assert.Equal([1, 3, 2, 2, -2, 0], decoded.Values);
    }

    [Fact]
    public void A_pooling_layer_between_is_undone_by_repeating_each_value_over_its_pooling_window()
    {
        // Layer 3 (above a 2×2 pooling): one 1×1 filter, channel 0 = 1, channel 1 = −1.
        var top = new FilterBank(1, 2, 1, 1, [1, -1]);

        var decoded = FilterDecoding.Decode(top, 0, [new Unpool(2, 2), new Substitution(FirstLayer)], Unpooling.Nearest);

        // Unpooling makes each channel a 2×2 block of its value (003, Fig. 2 b). Substituting then sums the lower
        // filter at the four offsets (0,0), (0,1), (1,0), (1,1):
        //   filter 0 [[1,2],[0,0]] → [[1, 3, 2], [1, 3, 2], [0, 0, 0]]
        //   filter 1 [[0,0],[1,−1]] → [[0, 0, 0], [1, 0, −1], [1, 0, −1]], times −1 → [[0,0,0],[−1,0,1],[−1,0,1]]
        Assert.Equal((1, 3, 3), (decoded.Channels, decoded.Height, decoded.Width));
        Assert.Equal([1, 3, 2, 0, 3, 3, -1, 0, 1], decoded.Values);
    }

    [Fact]
    public void Strides_and_dilations_space_the_substitutions_as_the_forward_pass_spaced_the_windows()
    {
        // A 1×2 top filter [1 1] over a layer with one 1×2 filter [1 10], stride 3 and dilation 2 (taps at 0 and 2):
        // value at column 0 → taps at columns 0 and 2; value at column 1 → taps at 3 and 5. Width (2−1)·3 + (2−1)·2 + 1 = 6.
        var top = new FilterBank(1, 1, 1, 2, [1, 1]);
        var lower = new FilterBank(1, 1, 1, 2, [1, 10]);

        var decoded = FilterDecoding.Decode(top, 0, [new Substitution(lower, StrideH: 1, StrideW: 3, DilationH: 1, DilationW: 2)], Unpooling.Nearest);

        Assert.Equal([1, 0, 10, 1, 0, 10], decoded.Values);
    }

    [Fact]
    public void The_supplementary_nets_filters_decode_to_the_sizes_the_layers_imply()
    {
        // 003's hand-made net: 4@5×5, 14@5×5, a 2×2 pooling, 8@3×3. Decoding layer 4: 3×3 → unpool 6×6 → +5−1 = 10×10
        // → +5−1 = 14×14, on the one input channel. Layer 2: 5×5 → +5−1 = 9×9.
        var layer1 = Bank(4, 1, 5, 5);
        var layer2 = Bank(14, 4, 5, 5);
        var layer4 = Bank(8, 14, 3, 3);

        var decoded4 = FilterDecoding.DecodeAll(layer4, [new Unpool(2, 2), new Substitution(layer2), new Substitution(layer1)], Unpooling.Bilinear);
        var decoded2 = FilterDecoding.DecodeAll(layer2, [new Substitution(layer1)], Unpooling.Bilinear);

        Assert.Equal((8, 1, 14, 14), (decoded4.Count, decoded4.Channels, decoded4.Height, decoded4.Width));
        Assert.Equal((14, 1, 9, 9), (decoded2.Count, decoded2.Channels, decoded2.Height, decoded2.Width));
    }

    [Fact]
    public void Lenet_filters_decode_to_14_by_14_at_L3_and_to_the_whole_28_by_28_digit_at_L5_and_L7()
    {
        // 003, section 4 and Fig. 4: L3's 50 filters decode to 14×14, L5's 500 and L7's 10 to 28×28.
        var conv1 = Bank(20, 1, 5, 5);
        var conv3 = Bank(50, 20, 5, 5);
        var conv5 = Bank(500, 50, 4, 4);
        var conv7 = Bank(10, 500, 1, 1);
        DecodingStep[] belowL5 = [new Unpool(2, 2), new Substitution(conv3), new Unpool(2, 2), new Substitution(conv1)];

        var l3 = FilterDecoding.DecodeAll(conv3, [new Unpool(2, 2), new Substitution(conv1)], Unpooling.Nearest);
        var l5 = FilterDecoding.DecodeAll(conv5, belowL5, Unpooling.Nearest);
        var l7 = FilterDecoding.DecodeAll(conv7, [new Substitution(conv5), .. belowL5], Unpooling.Bicubic);

        Assert.Equal((50, 1, 14, 14), (l3.Count, l3.Channels, l3.Height, l3.Width));
        Assert.Equal((500, 1, 28, 28), (l5.Count, l5.Channels, l5.Height, l5.Width));
        Assert.Equal((10, 1, 28, 28), (l7.Count, l7.Channels, l7.Height, l7.Width));
    }

    [Fact]
    public void Decoding_all_filters_gives_each_filter_its_own_decoding()
    {
        var layer1 = Bank(3, 2, 3, 3);
        var layer2 = Bank(5, 3, 2, 2);
        DecodingStep[] steps = [new Unpool(2, 2), new Substitution(layer1)];

        var all = FilterDecoding.DecodeAll(layer2, steps, Unpooling.Bicubic);

        for (var k = 0; k < layer2.Count; k++)
            Assert.Equal(FilterDecoding.Decode(layer2, k, steps, Unpooling.Bicubic).Values, all.Filter(k).ToArray());
    }

    [Fact]
    public void A_layer_whose_channels_do_not_match_the_filters_below_is_refused_with_both_counts()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            FilterDecoding.Decode(new FilterBank(1, 3, 1, 1, [1, 2, 3]), 0, [new Substitution(FirstLayer)], Unpooling.Nearest));
        Assert.Contains("3 channels", error.Message);
        Assert.Contains("2 filters", error.Message);
    }

    private static FilterBank Bank(int count, int channels, int height, int width)
    {
        var random = new Random(count * 1000 + channels);
        var values = new float[count * channels * height * width];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return new FilterBank(count, channels, height, width, values);
    }
}
