using Experiments.Architectures;
using Experiments.Worker.Engine;
using Xunit;

namespace Experiments.Worker.Tests.Engine;

/// <summary>Worked examples from the seeds, whose answers are known exactly.</summary>
public class Convolution_reproduces_the_seeds_worked_examples
{
    // Seed 004, Example 7.1: a 3-channel 4×4 image, one 3×3×3 filter, zero padding 1, bias 2, ReLU,
    // then 2×2 max and average pooling.
    private static readonly float[] Image =
    [
        2, 1, 0, 0, 0, 0, 2, 1, 0, 2, 0, 1, 2, 1, 0, 1, // X0
        2, 2, 0, 0, 0, 0, 2, 1, 0, 0, 2, 0, 0, 1, 0, 1, // X1
        2, 1, 0, 0, 0, 0, 2, 1, 2, 0, 0, 0, 0, 1, 0, 1, // X2
    ];

    private static readonly float[] Filter =
    [
        1, 0, 0, 0, -2, 0, 0, 0, -1, // W0
        1, 2, 0, 2, 0, -1, 0, -1, 1, // W1
        0, 0, -2, 0, 1, 2, -2, 2, 0, // W2
    ];

    [Fact]
    public void Example_7_1_gives_the_relu_output_and_both_poolings()
    {
        using var withMax = Example71Model(PoolKind.Max);
        using var withAverage = Example71Model(PoolKind.Average);
        var input = Tensor.Of(Image, 1, 3, 4, 4);

        var max = withMax.Forward(input, 1);
        var average = withAverage.Forward(input);

        Assert.Equal([0, 5, 8, 0, 6, 10, 1, 5, 4, 0, 2, 11, 0, 1, 11, 3], max[0].Data);
        Assert.Equal([1, 4], max[1].Shape);
        Assert.Equal([10, 8, 4, 11], max[1].Data);
        Assert.Equal([21f / 4, 7f / 2, 5f / 4, 27f / 4], average[0].Data);
    }

    [Fact]
    public void A_box_blur_averages_each_pixel_with_its_eight_zero_padded_neighbours()
    {
        float[] image = [9, 0, 0, 0, 9, 0, 0, 0, 9];
        using var model = SingleKernel([1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f], Padding.Of(1), new TensorShape(1, 3, 3));

        var output = model.Forward(Tensor.Of(image, 1, 1, 3, 3))[^1];

        // Worked by hand: each output is the sum of the 3×3 neighbourhood (zeros outside) divided by 9.
        float[] expected = [2, 2, 1, 2, 3, 2, 1, 2, 2];
        Assert.Equal(expected.Length, output.Data.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], output.Data[i], 6);
    }

    [Fact]
    public void A_sobel_kernel_responds_only_where_the_image_has_a_vertical_edge()
    {
        // Three rows of 0 0 0 1 1 1: one vertical edge between columns 2 and 3.
        float[] row = [0, 0, 0, 1, 1, 1];
        var image = row.Concat(row).Concat(row).ToArray();
        using var model = SingleKernel([-1, 0, 1, -2, 0, 2, -1, 0, 1], Padding.Valid, new TensorShape(1, 3, 6));

        var output = model.Forward(Tensor.Of(image, 1, 1, 3, 6))[^1];

        Assert.Equal([1, 4], output.Shape);
        Assert.Equal([0, 4, 4, 0], output.Data);
    }

    private static Model Example71Model(PoolKind pool)
    {
        var architecture = new Architecture("example-7.1",
        [
            new Conv2dLayer(1, Pair.Square(3), Pair.Square(1), Padding.Of(1), Pair.Square(1)),
            new ActivationLayer(ActivationKind.Relu),
            new PoolLayer(pool, Pair.Square(2), Pair.Square(2), Pair.Square(0)),
            new FlattenLayer(),
        ]);
        var model = Model.Create(ShapeInference.Plan(architecture, new TensorShape(3, 4, 4)), seed: 1);
        model.Write("0.weight", Filter);
        model.Write("0.bias", [2f]);
        return model;
    }

    private static Model SingleKernel(float[] kernel3x3, Padding padding, TensorShape input)
    {
        var architecture = new Architecture("kernel", [new Conv2dLayer(1, Pair.Square(3), Pair.Square(1), padding, Pair.Square(1), Bias: false), new FlattenLayer()]);
        var model = Model.Create(ShapeInference.Plan(architecture, input), seed: 1);
        model.Write("0.weight", kernel3x3);
        return model;
    }
}
