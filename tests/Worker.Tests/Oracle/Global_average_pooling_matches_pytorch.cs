using Experiments.Architectures;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

public class Global_average_pooling_matches_pytorch
{
    [Fact]
    public void Over_every_channel_plane()
    {
        ForwardCase[] cases =
        [
            ForwardCase.Of(new TensorShape(1, 1, 1), 9_101, new GlobalAveragePoolLayer()),
            ForwardCase.Of(new TensorShape(5, 7, 3), 9_102, new GlobalAveragePoolLayer()) with { Batch = 3 },
            ForwardCase.Of(new TensorShape(2, 8, 8), 9_103,
                new Conv2dLayer(6, Pair.Square(3), Pair.Square(2), Padding.Of(1), Pair.Square(1)), new GlobalAveragePoolLayer(), new LinearLayer(3)),
        ];

        ForwardComparison.AssertMatchesPyTorch(cases);
    }
}
