using Experiments.Analysis.Decoding;
using Xunit;

namespace Experiments.Analysis.Tests.Decoding;

/// <summary>003's eq. 3 and its companions (thresholded views, top-activating images), on cases worked out by hand.</summary>
public sealed class Measuring_the_reconstruction_error
{
    [Fact]
    public void Contrast_normalisation_rescales_to_the_unit_range_and_maps_a_constant_to_zeros()
    {
        Assert.Equal([0.0, 0.25, 1.0], ReconstructionError.NormaliseContrast([-2, -1, 2]));
        Assert.Equal([0.0, 0.0], ReconstructionError.NormaliseContrast([3, 3]));
    }

    [Fact]
    public void The_error_ignores_scale_and_offset_and_measures_shape()
    {
        // [0, 1, 2] and 10·x − 5 have the same shape: no error. Against [0, 2, 1]: normalised [0, ½, 1] vs [0, 1, ½],
        // squared differences 0, ¼, ¼, mean 1/6.
        Assert.Equal(0.0, ReconstructionError.OfImage([0, 1, 2], [-5, 5, 15]), 12);
        Assert.Equal(1.0 / 6, ReconstructionError.OfImage([0, 1, 2], [0, 2, 1]), 12);
    }

    [Fact]
    public void Correlating_an_image_with_decoded_filters_reads_each_window_and_treats_padding_as_zeros()
    {
        // A 3×3 image 1..9 and one 2×2 filter [[1, 0], [0, −1]] (top-left minus bottom-right):
        // with jump 1 and corner −1 (one pixel of padding), response (0,0) reads only the image's top-left 1 in the
        // filter's bottom-right tap: −1; response (1,1) reads 1 − 5 = −4; no padding reads the four full windows; jump 2 samples every other pixel.
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var filter = new FilterBank(1, 1, 2, 2, [1, 0, 0, -1]);

        var padded = ReconstructionError.Correlate(image, 1, 3, 3, filter, new ResponseGeometry(1, 1, -1, -1), 4, 4);
        var strided = ReconstructionError.Correlate(image, 1, 3, 3, filter, ResponseGeometry.Identity, 2, 2);

        Assert.Equal(-1f, padded[0]);
        Assert.Equal(1 - 5f, padded[1 * 4 + 1]);
        Assert.Equal(9f, padded[3 * 4 + 3]);     // the bottom-right corner sees only the 9, in the +1 tap
        Assert.Equal([1 - 5f, 2 - 6f, 4 - 8f, 5 - 9f], strided);
        var jumped = ReconstructionError.Correlate(image, 1, 3, 3, new FilterBank(1, 1, 1, 1, [1]), new ResponseGeometry(2, 2, 0, 0), 2, 2);
        Assert.Equal([1f, 3f, 7f, 9f], jumped);
    }

    [Fact]
    public void The_summary_is_the_mean_and_population_standard_deviation_over_images()
    {
        var summary = ErrorSummary.Of([0.1, 0.3]);
        Assert.Equal(0.2, summary.Mean, 12);
        Assert.Equal(0.1, summary.StandardDeviation, 12);
        Assert.Equal(2, summary.Images);
    }

    [Fact]
    public void Thresholded_views_keep_the_sign_of_values_reaching_the_fraction_of_the_largest_magnitude()
    {
        // Largest magnitude 4; at ½ the threshold is 2: 4 → 1, −2 → −1, 1.9 → 0, −1 → 0.
        var views = ThresholdedViews.Of(new FilterBank(2, 1, 1, 4, [4, -2, 1.9f, -1, 0, 0, 0, 0]));
        Assert.Equal([1, -1, 0, 0, 0, 0, 0, 0], views.Values);
    }

    [Fact]
    public void Top_activating_images_rank_by_each_filters_strongest_position_and_keep_the_earlier_of_equals()
    {
        // Two filters, two positions each. Filter 0's maxima: 5, 7, 5, 1 → images 1, 0 (0 before 2 at equal 5).
        // Filter 1's maxima: 2, 2, 9, 3 → images 2, 3.
        var top = new TopActivatingImages(filters: 2, keep: 2);
        top.Offer(0, [5, 0, 2, 1]);
        top.Offer(1, [1, 7, 0, 2]);
        top.Offer(2, [5, 4, 9, -1]);
        top.Offer(3, [1, 0, 3, 0]);

        var result = top.Result();

        Assert.Equal([1, 0], result[0].Select(a => a.Image));
        Assert.Equal([7f, 5f], result[0].Select(a => a.Activation));
        Assert.Equal([2, 3], result[1].Select(a => a.Image));
    }
}
