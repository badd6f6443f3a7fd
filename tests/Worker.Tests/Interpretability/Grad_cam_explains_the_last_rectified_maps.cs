using System.Globalization;
using Experiments.Architectures;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;
using Xunit.Abstractions;

namespace Experiments.Worker.Tests.Interpretability;

/// <summary><c>doshi-mnist</c> trained briefly on real MNIST digits, shared by the tests of the class.</summary>
// Two epochs on 4,000 digits: a model that has learnt strokes, at a cost the suite can bear.
public sealed class TrainedDoshi() : TrainedOnRealMnist("doshi-mnist", epochs: 2, trainImages: 4_000);

public sealed class Grad_cam_explains_the_last_rectified_maps(TrainedDoshi doshi, ITestOutputHelper output) : IClassFixture<TrainedDoshi>
{
    private static ArchitecturePlan Plan(string name, params int[] input) =>
        input.Length == 0 ? ShapeInference.Plan(ArchitectureCatalog.BuiltIns[name]) : ShapeInference.Plan(ArchitectureCatalog.BuiltIns[name], new TensorShape(input));

    [Fact]
    public void The_default_layer_is_the_last_activation_with_maps_larger_than_1x1_before_flattening()
    {
        Assert.Equal(5, Attribution.GradCamLayer(Plan("doshi-mnist")));           // relu after conv 256@3×3, 256×10×10
        Assert.Equal(4, Attribution.GradCamLayer(Plan("lenet-cifar")));           // relu after conv 64@5×5, 64×10×10
        Assert.Equal(4, Attribution.GradCamLayer(Plan("lenet-cifar", 1, 28, 28))); // the same net on Fashion-MNIST: 64×8×8
        Assert.Equal(12, Attribution.GradCamLayer(Plan("vgg-small")));           // relu after the last conv and batch norm
        Assert.Equal(5, Attribution.GradCamLayer(Plan("resnet-small")));         // the last residual block, which ends in its ReLU
    }

    [Fact]
    public void Lenet_matconvnet_has_no_rectified_maps_larger_than_1x1_and_the_default_says_so()
    {
        var error = Assert.Throws<ArgumentException>(() => Attribution.GradCamLayer(Plan("lenet-matconvnet")));
        Assert.Contains("layer 5 (relu), outputs 500×1×1", error.Message);
        Assert.Contains("before it (0 conv2d 20@5×5 s1 p0, 1 maxpool 2×2 s2 p0, 2 conv2d 50@5×5 s1 p0, 3 maxpool 2×2 s2 p0) are signed", error.Message);
    }

    [Fact]
    public void A_network_without_feature_maps_is_told_grad_cam_does_not_apply_by_default_and_at_any_layer()
    {
        var byDefault = Assert.Throws<ArgumentException>(() => Attribution.GradCamLayer(Plan("ffnn-100", 1, 28, 28)));
        Assert.StartsWith("ffnn-100 has no feature maps", byDefault.Message);
        Assert.DoesNotContain("()", byDefault.Message); // no empty list of layers

        using var model = Model.Create(Plan("ffnn-100", 1, 28, 28), 1);
        var atLayer = Assert.Throws<ArgumentException>(() => Attribution.GradCam(model, Tensor.Of(doshi.Data.Test.Sample(0).ToArray(), 1, 28, 28), 1));
        Assert.StartsWith("ffnn-100 has no feature maps", atLayer.Message);
    }

    [Fact]
    public void A_constant_map_is_reported_blank_and_a_map_with_a_peak_is_not()
    {
        Assert.Equal("every value is 0", Attribution.Blankness(Tensor.Of(new float[100], 10, 10)));
        Assert.Equal("every value is 0.25", Attribution.Blankness(Tensor.Of([0.25f, 0.25f, 0.25f, 0.25f], 2, 2)));
        var speck = new float[28 * 28];
        speck[300] = 1;
        Assert.Equal("it is nearly all zero: only 1 of 784 values reach 1% of its peak", Attribution.Blankness(Tensor.Of(speck, 28, 28)));
        var blob = new float[28 * 28];
        for (var i = 0; i < 40; i++) blob[280 + i] = 1 + i;
        Assert.Null(Attribution.Blankness(Tensor.Of(blob, 28, 28)));

        // A real one: Grad-CAM of lenet-matconvnet at its 500×1×1 conv is one number, resized into a constant picture.
        using var model = Model.Create(Plan("lenet-matconvnet"), 1);
        var map = Attribution.GradCam(model, Tensor.Of(doshi.Data.Test.Sample(0).ToArray(), 1, 28, 28), 4);
        Assert.Equal([1, 1], map.Raw.Shape);
        Assert.NotNull(map.Blank);
        Assert.StartsWith("every value is", map.Blank);
    }

    [Fact]
    public void On_real_digits_most_of_the_default_maps_mass_falls_on_the_digit()
    {
        Assert.Equal(TrainingOutcome.Completed, doshi.Result.Outcome);
        var layer = Attribution.GradCamLayer(doshi.Model.Plan);
        var test = doshi.Data.Test;
        var shares = new List<double>();
        var blank = 0;
        for (var i = 0; i < 40; i++)
        {
            var pixels = test.Sample(i).ToArray();
            var map = Attribution.GradCam(doshi.Model, Tensor.Of(pixels, 1, 28, 28), layer);
            if (map.Blank is not null)
            {
                blank++;
                continue;
            }
            shares.Add(ShareOnDigit(map.Upsampled.Data, pixels));
        }
        shares.Sort();
        var median = shares.Count == 0 ? 0 : shares[shares.Count / 2];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"doshi-mnist, {doshi.Result.Epochs[^1].Test!.Accuracy:P1} test accuracy, Grad-CAM at layer {layer}: {blank} blank maps of 40; " +
            $"share of the map's mass on the digit: median {median:0.00}, lowest {shares.FirstOrDefault():0.00}"));
        Assert.True(blank <= 2, $"{blank} of 40 maps at layer {layer} are blank");
        Assert.True(median > 0.5, $"the median map puts only {median:P0} of its mass on the digit");
    }

    /// <summary>
    /// The share of a [0, 1] map's mass on the digit: its ink (pixels brighter than the [−1, 1] background's −1 by
    /// a quarter of the range) grown by 2 pixels. A 10×10 map of a 28×28 image places heat no finer than about 3 pixels,
    /// so the stroke's immediate border belongs to it; everything further out is background.
    /// </summary>
    private static double ShareOnDigit(float[] map, float[] pixels)
    {
        const int side = 28, grow = 2;
        double onDigit = 0, total = 0;
        for (var y = 0; y < side; y++)
            for (var x = 0; x < side; x++)
            {
                var near = false;
                for (var dy = -grow; dy <= grow && !near; dy++)
                    for (var dx = -grow; dx <= grow && !near; dx++)
                    {
                        var (py, px) = (y + dy, x + dx);
                        near = py is >= 0 and < side && px is >= 0 and < side && pixels[py * side + px] > -0.5f;
                    }
                total += map[y * side + x];
                if (near) onDigit += map[y * side + x];
            }
        return total > 0 ? onDigit / total : 0;
    }
}
