using Experiments.Architectures;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

public class Dropout_matches_pytorch
{
    [Fact]
    public void As_the_identity_in_evaluation_mode()
    {
        var image = new TensorShape(2, 5, 5);
        var conv = new Conv2dLayer(3, Pair.Square(3), Pair.Square(1), Padding.Same, Pair.Square(1));
        ForwardCase[] cases =
        [
            ForwardCase.Of(new TensorShape(20), 5_101, new DropoutLayer(0.5)),
            ForwardCase.Of(new TensorShape(20), 5_102, new DropoutLayer(0.9)),
            ForwardCase.Of(new TensorShape(20), 5_103, new LinearLayer(8), new DropoutLayer(0), new LinearLayer(3)),
            ForwardCase.Of(image, 5_104, conv, new DropoutLayer(0.3), new FlattenLayer()),
            ForwardCase.Of(image, 5_105, new DropoutLayer(0.75), new FlattenLayer(), new LinearLayer(4)),
        ];

        ForwardComparison.AssertMatchesPyTorch(cases);
    }
}
