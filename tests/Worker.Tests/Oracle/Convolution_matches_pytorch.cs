using Experiments.Architectures;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

public class Convolution_matches_pytorch
{
    [Fact]
    public void For_random_kernels_strides_paddings_and_dilations()
    {
        var random = new Random(2_001);
        var cases = new List<ForwardCase>();
        while (cases.Count < 16)
        {
            var padding = random.Next(4) switch
            {
                0 => Padding.Valid,
                1 => Padding.Same,
                2 => Padding.Full,
                _ => Padding.Of(new Pair(random.Next(4), random.Next(4))), // often asymmetric: H and W differ
            };
            var stride = padding.Mode == PaddingMode.Same ? Pair.Square(1) : new Pair(random.Next(1, 4), random.Next(1, 4));
            var conv = new Conv2dLayer(random.Next(1, 6), new Pair(random.Next(1, 6), random.Next(1, 6)), stride, padding,
                new Pair(random.Next(1, 4), random.Next(1, 4)), Bias: random.Next(2) == 0);
            var input = new TensorShape(random.Next(1, 5), random.Next(4, 15), random.Next(4, 15));
            if (ForwardCase.Fits(input, conv, new FlattenLayer())) cases.Add(Case(conv, input, seed: 2_100 + cases.Count));
        }

        ForwardComparison.AssertMatchesPyTorch(cases);
    }

    [Fact]
    public void For_every_padding_mode_with_and_without_bias()
    {
        var input = new TensorShape(3, 9, 10);
        Conv2dLayer Conv(Pair kernel, Padding padding, Pair dilation, bool bias) => new(4, kernel, Pair.Square(1), padding, dilation, bias);
        ForwardCase[] cases =
        [
            Case(Conv(Pair.Square(3), Padding.Valid, Pair.Square(1), bias: true), input, seed: 2_201),
            // An even kernel makes PyTorch's 'same' pad one more on the bottom/right than on the top/left.
            Case(Conv(new Pair(2, 4), Padding.Same, Pair.Square(1), bias: false), input, seed: 2_202),
            Case(Conv(Pair.Square(3), Padding.Same, new Pair(2, 3), bias: true), input, seed: 2_203),
            Case(Conv(new Pair(3, 2), Padding.Full, Pair.Square(1), bias: false), input, seed: 2_204),
            Case(Conv(Pair.Square(3), Padding.Full, Pair.Square(2), bias: true), input, seed: 2_205),
            Case(Conv(Pair.Square(3), Padding.Of(new Pair(2, 0)), Pair.Square(1), bias: false), input, seed: 2_206),
            Case(Conv(new Pair(1, 5), Padding.Of(new Pair(0, 3)), Pair.Square(1), bias: true), input, seed: 2_207),
        ];

        ForwardComparison.AssertMatchesPyTorch(cases);
    }

    private static ForwardCase Case(Conv2dLayer conv, TensorShape input, int seed) => ForwardCase.Of(input, seed, conv, new FlattenLayer());
}
