using Experiments.Architectures;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

// Every case writes random running means, running variances (0.25–2), scales and shifts into the layer, so the
// evaluation-mode output depends on all four and a layer that used batch statistics or the 0/1 defaults would differ.
public class Batch_normalisation_matches_pytorch
{
    [Fact]
    public void Over_channels_with_nontrivial_running_statistics()
    {
        var conv = new Conv2dLayer(4, Pair.Square(3), Pair.Square(1), Padding.Of(1), Pair.Square(1), Bias: false);
        ForwardCase[] cases =
        [
            ForwardCase.Of(new TensorShape(1, 4, 4), 6_101, new BatchNormLayer(), new FlattenLayer()),
            ForwardCase.Of(new TensorShape(3, 5, 7), 6_102, new BatchNormLayer(), new FlattenLayer()),
            ForwardCase.Of(new TensorShape(8, 2, 3), 6_103, new BatchNormLayer(), new FlattenLayer()) with { Batch = 5 },
            ForwardCase.Of(new TensorShape(2, 6, 6), 6_104, conv, new BatchNormLayer(), new ActivationLayer(ActivationKind.Relu), new FlattenLayer()),
        ];

        ForwardComparison.AssertMatchesPyTorch(cases);
    }

    [Fact]
    public void Over_flat_features_with_nontrivial_running_statistics()
    {
        ForwardCase[] cases =
        [
            ForwardCase.Of(new TensorShape(1), 6_201, new BatchNormLayer()),
            ForwardCase.Of(new TensorShape(12), 6_202, new BatchNormLayer()),
            ForwardCase.Of(new TensorShape(30), 6_203, new BatchNormLayer()) with { Batch = 1 },
            ForwardCase.Of(new TensorShape(2, 3, 3), 6_204, new FlattenLayer(), new LinearLayer(9), new BatchNormLayer(), new ActivationLayer(ActivationKind.Tanh)),
        ];

        ForwardComparison.AssertMatchesPyTorch(cases);
    }
}
