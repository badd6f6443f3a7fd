using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Worker.Engine;
using Xunit;

namespace Experiments.Worker.Tests.Engine;

/// <summary>
/// <see cref="Model.Predict(IReadOnlyList{NativeDataset}, int)"/> evaluates several splits in one native call, in
/// inference mode, where max pooling takes the maximum of strided views instead of libtorch's max_pool2d. The
/// reference is the same engine with autograd on (<see cref="Model.ClassGradients"/>), whose forward pass runs
/// max_pool2d itself: the recorded figures are computed from these logits, so they must agree bit for bit.
/// </summary>
public class Evaluating_splits_in_one_call
{
    private static readonly TensorShape Mnist = new(1, 28, 28);

    [Fact]
    public void Gives_each_split_the_logits_of_the_forward_pass_with_max_pool2d_bit_for_bit()
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.Resolve("lenet-matconvnet"), Mnist);
        using var model = Model.Create(plan, seed: 3);
        // Sizes that leave a partial last batch, a split smaller than a batch, and one of exactly a batch.
        LabelledImages[] splits = [Images(Mnist, 300, 10, seed: 1), Images(Mnist, 40, 10, seed: 2), Images(Mnist, 256, 10, seed: 3)];

        var logits = PredictAll(model, splits);

        Assert.Equal(splits.Length, logits.Length);
        for (var i = 0; i < splits.Length; i++)
            Assert.Equal(WithMaxPool2d(model, splits[i]), logits[i]);
    }

    // Overlapping windows (stride < kernel), gaps between windows (stride > kernel), inputs that do not divide evenly
    // (the last rows and columns dropped, as floor does), non-square windows, and NaN and −∞ among the values: a NaN
    // anywhere in a window makes its maximum NaN, as max_pool2d has it.
    [Theory]
    [InlineData(3, 3, 2, 2, 9, 8)]
    [InlineData(2, 2, 3, 3, 10, 11)]
    [InlineData(3, 3, 3, 3, 7, 7)]
    [InlineData(2, 3, 1, 2, 6, 9)]
    [InlineData(1, 1, 1, 1, 4, 5)]
    public void Pools_every_window_shape_as_max_pool2d_does(int kernelH, int kernelW, int strideH, int strideW, int height, int width)
    {
        var input = new TensorShape(2, height, width);
        var plan = ShapeInference.Plan(new Architecture("pool",
            [new PoolLayer(PoolKind.Max, new Pair(kernelH, kernelW), new Pair(strideH, strideW), new Pair(0, 0)), new FlattenLayer()]), input);
        using var model = Model.Create(plan, seed: 1);
        var images = Images(input, 6, checked((int)plan.Output.Elements), seed: 9);
        images.Pixels[3] = float.NaN;
        images.Pixels[input.Elements + 7] = float.NegativeInfinity;

        var logits = PredictAll(model, [images])[0];

        Assert.Equal(WithMaxPool2d(model, images), logits);
        Assert.Contains(logits, float.IsNaN);
    }

    private static float[][] PredictAll(Model model, IReadOnlyList<LabelledImages> splits)
    {
        var natives = splits.Select(NativeDataset.From).ToList();
        try
        {
            return model.Predict(natives);
        }
        finally
        {
            natives.ForEach(n => n.Dispose());
        }
    }

    /// <summary>The logits of a forward pass with autograd on, which runs libtorch's own max_pool2d.</summary>
    private static float[] WithMaxPool2d(Model model, LabelledImages images)
    {
        var dims = images.SampleShape.Dims;
        var batch = Tensor.Of(images.Pixels, images.Count, dims[0], dims[1], dims[2]);
        return model.ClassGradients(batch, new int[images.Count]).Logits.Data;
    }

    private static LabelledImages Images(TensorShape shape, int count, int classes, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * shape.Elements];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)(random.NextDouble() * 2 - 1);
        return new LabelledImages(shape, pixels, new int[count], [.. Enumerable.Range(0, classes).Select(c => c.ToString())]);
    }
}
