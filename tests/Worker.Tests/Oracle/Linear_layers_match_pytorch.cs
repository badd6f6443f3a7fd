using Experiments.Architectures;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

public class Linear_layers_match_pytorch
{
    [Fact]
    public void With_and_without_bias()
    {
        var random = new Random(4_100);
        var cases = Enumerable.Range(0, 6)
            .Select(i => ForwardCase.Of(new TensorShape(random.Next(1, 65)), 4_100 + i, new LinearLayer(random.Next(1, 33), Bias: i % 2 == 0)))
            .ToList();

        ForwardComparison.AssertMatchesPyTorch(cases);
    }

    // Flattening must order features channel-major (C, then H, then W) as torch.flatten does, or the weights mean something else.
    [Fact]
    public void After_flattening_an_image_in_channel_major_order()
    {
        ForwardCase[] cases =
        [
            ForwardCase.Of(new TensorShape(3, 4, 5), 4_201, new FlattenLayer(), new LinearLayer(7)),
            ForwardCase.Of(new TensorShape(2, 1, 6), 4_202, new FlattenLayer(), new LinearLayer(3, Bias: false)),
            ForwardCase.Of(new TensorShape(1, 5, 5), 4_203, new FlattenLayer(), new LinearLayer(10), new ActivationLayer(ActivationKind.Relu), new LinearLayer(4)),
        ];

        ForwardComparison.AssertMatchesPyTorch(cases);
    }
}
