using Experiments.Analysis.Decoding;
using Xunit;

namespace Experiments.Analysis.Tests.Decoding;

/// <summary>The three unpoolings of 003's Table 1, on maps small enough to interpolate by hand.</summary>
public sealed class Unpooling_by_interpolation
{
    private static readonly FeatureMaps Row = new(1, 1, 2, [4, 8]);

    [Fact]
    public void Nearest_repeats_every_value_over_a_factor_by_factor_block()
    {
        var up = Upsampling.Upsample(new FeatureMaps(1, 2, 2, [1, 2, 3, 4]), 2, 2, Unpooling.Nearest);
        Assert.Equal([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], up.Values);
    }

    [Fact]
    public void Bilinear_interpolates_between_pixel_centres_and_replicates_the_border()
    {
        // Output centres x = 0..3 sit at input positions (x + ½)/2 − ½ = −¼, ¼, ¾, 1¼. Clamped to the border, that is
        // 4, ¾·4 + ¼·8 = 5, ¼·4 + ¾·8 = 7, 8 — PyTorch's interpolate(align_corners=False).
        var up = Upsampling.Upsample(Row, 1, 2, Unpooling.Bilinear);
        Assert.Equal([4, 5, 7, 8], up.Values);
    }

    [Fact]
    public void Bicubic_uses_keys_kernel_with_a_of_minus_three_quarters_over_replicated_borders()
    {
        // Output x = 1 sits at ¼: t = ¼ between input 0 and 1, taps at −1, 0, 1, 2 clamped to 0, 0, 1, 1. Keys' weights
        // with a = −¾: w(1¼) = a(1.25³ − 5·1.25² + 8·1.25 − 4) = −¾·(−0.421875) = 0.31640625…
        // Written out: w(t+1), w(t), w(1−t), w(2−t) for t = ¼.
        const double a = -0.75;
        static double Near(double x) => (a + 2) * x * x * x - (a + 3) * x * x + 1;
        static double Far(double x) => a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a;
        double[] w = [Far(1.25), Near(0.25), Near(0.75), Far(1.75)];
        Assert.Equal(1.0, w.Sum(), 12);
        var expectedAtOne = (w[0] + w[1]) * 4 + (w[2] + w[3]) * 8;

        var up = Upsampling.Upsample(Row, 1, 2, Unpooling.Bicubic);

        Assert.Equal(expectedAtOne, up.Values[1], 5);
        // Mirror image: output 2 sits at ¾, its weights reversed.
        Assert.Equal((w[0] + w[1]) * 8 + (w[2] + w[3]) * 4, up.Values[2], 5);
        Assert.Equal(4, up.Values.Length);
    }

    [Theory]
    [InlineData(Unpooling.Nearest)]
    [InlineData(Unpooling.Bilinear)]
    [InlineData(Unpooling.Bicubic)]
    public void A_constant_map_stays_constant(Unpooling method)
    {
        var up = Upsampling.Upsample(new FeatureMaps(2, 3, 3, Enumerable.Repeat(2.5f, 18).ToArray()), 2, 3, method);
        Assert.Equal((2, 6, 9), (up.Channels, up.Height, up.Width));
        Assert.All(up.Values, v => Assert.Equal(2.5f, v, 5));
    }
}
