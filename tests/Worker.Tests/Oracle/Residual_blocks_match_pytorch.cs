using Experiments.Architectures;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

public class Residual_blocks_match_pytorch
{
    // Stride 1 and unchanged channels: the shortcut is the input itself.
    [Fact]
    public void Without_a_downsample()
    {
        ForwardCase[] cases =
        [
            ForwardCase.Of(new TensorShape(4, 6, 6), 8_101, new ResidualBlockLayer(4, 1), new FlattenLayer()),
            ForwardCase.Of(new TensorShape(1, 3, 5), 8_102, new ResidualBlockLayer(1, 1), new FlattenLayer()),
            ForwardCase.Of(new TensorShape(3, 5, 4), 8_103, new ResidualBlockLayer(3, 1), new ResidualBlockLayer(3, 1), new FlattenLayer()),
        ];

        ForwardComparison.AssertMatchesPyTorch(cases);
    }

    // A stride or a change of channels makes the shortcut a 1×1 convolution with batch norm (downsample.0/.1).
    [Fact]
    public void With_a_downsampling_projection()
    {
        ForwardCase[] cases =
        [
            ForwardCase.Of(new TensorShape(3, 6, 6), 8_201, new ResidualBlockLayer(5, 1), new FlattenLayer()),
            ForwardCase.Of(new TensorShape(4, 7, 9), 8_202, new ResidualBlockLayer(4, 2), new FlattenLayer()),
            ForwardCase.Of(new TensorShape(2, 8, 5), 8_203, new ResidualBlockLayer(6, 3), new FlattenLayer()),
            ForwardCase.Of(new TensorShape(2, 8, 8), 8_204, new ResidualBlockLayer(4, 2), new ResidualBlockLayer(4, 1), new GlobalAveragePoolLayer()),
        ];

        ForwardComparison.AssertMatchesPyTorch(cases);
    }
}
