using System.Globalization;
using Experiments.Analysis.Decoding;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Worker.Decoding;
using Experiments.Worker.Engine;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;
using Xunit.Abstractions;

namespace Experiments.Worker.Tests.Decoding;

/// <summary><c>lenet-matconvnet</c> trained briefly on the real MNIST digits, shared by the tests of the class.</summary>
// Two epochs reach about 97% test accuracy: enough for trained filters, short enough for the suite.
public sealed class TrainedLenet() : TrainedOnRealMnist("lenet-matconvnet", epochs: 2);

public sealed class Decoding_lenet_on_real_mnist(TrainedLenet lenet, ITestOutputHelper output) : IClassFixture<TrainedLenet>
{
    // 003, Table 1: reconstruction MSE per layer (our index = 003's number − 1) and unpooling.
    private static readonly Dictionary<Unpooling, double[]> Paper = new()
    {
        [Unpooling.Bicubic] = [0.002, 0.012, 0.078],
        [Unpooling.Nearest] = [0.0022, 0.012, 0.077],
        [Unpooling.Bilinear] = [0.003, 0.013, 0.081],
    };

    private static readonly (string Name, int Layer)[] Layers = [("L3", 2), ("L5", 4), ("L7", 6)];

    [Fact]
    public void The_reconstruction_error_grows_with_depth_as_in_003s_table_1()
    {
        Assert.Equal(TrainingOutcome.Completed, lenet.Result.Outcome);
        var sample = lenet.Data.Test.Take(1_000);
        output.WriteLine($"lenet-matconvnet after 2 epochs on real MNIST (test accuracy {lenet.Result.Epochs[^1].Test!.Accuracy:P2}); " +
                         $"MSE over {sample.Count} test digits, ours against 003's Table 1:");

        foreach (var unpooling in new[] { Unpooling.Bicubic, Unpooling.Nearest, Unpooling.Bilinear })
        {
            var errors = Layers.Select(l => LayerDecoder.Evaluate(lenet.Model, LayerDecoder.Decode(lenet.Model, l.Layer, unpooling), sample).Error).ToArray();
            for (var i = 0; i < Layers.Length; i++)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {unpooling,-8} {Layers[i].Name}: ours {errors[i].Mean:0.0000} ± {errors[i].StandardDeviation:0.0000}   003: {Paper[unpooling][i]}"));

            Assert.All(errors, e => Assert.True(e.Mean is > 0 and < 1, $"{unpooling}: an error of {e.Mean} is outside (0, 1)"));
            Assert.True(errors[0].Mean < errors[1].Mean && errors[1].Mean < errors[2].Mean,
                $"{unpooling}: L3 {errors[0].Mean}, L5 {errors[1].Mean}, L7 {errors[2].Mean} do not grow with depth");
        }
    }

    [Fact]
    public void The_images_that_most_activate_each_class_filter_of_L7_are_digits_of_that_class()
    {
        var sample = lenet.Data.Test;
        var decoded = LayerDecoder.Decode(lenet.Model, 6, Unpooling.Nearest);

        var evaluation = LayerDecoder.Evaluate(lenet.Model, decoded, sample, topImages: 4);

        // L7's filters are the class scores: for a trained net, the top images of filter k are digits k.
        var hits = Enumerable.Range(0, 10).Sum(k => evaluation.TopByNetwork[k].Count(a => sample.Labels[a.Image] == k));
        output.WriteLine($"top-4 images by network response that are of the filter's class: {hits} of 40");
        Assert.True(hits >= 36, $"only {hits} of the 40 top images of L7's filters are of the filter's class");
        Assert.All(evaluation.TopByNetwork, top => Assert.Equal(4, top.Count));
        Assert.All(evaluation.TopByNetwork, top => Assert.True(top[0].Activation >= top[^1].Activation));
        Assert.Equal(10, evaluation.TopByDecodedFilter.Count);
    }

    [Fact]
    public void Decoded_filters_and_their_thresholded_views_have_003s_sizes()
    {
        var l3 = LayerDecoder.Decode(lenet.Model, 2, Unpooling.Bicubic);
        var l5 = LayerDecoder.Decode(lenet.Model, 4, Unpooling.Bicubic);

        Assert.Equal((50, 1, 14, 14), (l3.Filters.Count, l3.Filters.Channels, l3.Filters.Height, l3.Filters.Width));
        Assert.Equal((500, 1, 28, 28), (l5.Filters.Count, l5.Filters.Channels, l5.Filters.Height, l5.Filters.Width));
        var thresholded = l5.Thresholded();
        Assert.All(thresholded.Values, v => Assert.Contains(v, new[] { -1f, 0f, 1f }));
        Assert.Contains(1f, thresholded.Values);
    }
}
