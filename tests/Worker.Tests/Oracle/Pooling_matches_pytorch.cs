using Experiments.Architectures;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

public class Pooling_matches_pytorch
{
    [Fact]
    public void For_random_max_pooling_windows() => ForwardComparison.AssertMatchesPyTorch(RandomPools(PoolKind.Max, firstSeed: 3_100));

    // Average pooling counts padded zeros in the divisor (count_include_pad=True), on both sides, so padded windows test it.
    [Fact]
    public void For_random_average_pooling_windows() => ForwardComparison.AssertMatchesPyTorch(RandomPools(PoolKind.Average, firstSeed: 3_200));

    private static List<ForwardCase> RandomPools(PoolKind kind, int firstSeed)
    {
        var random = new Random(firstSeed);
        var cases = new List<ForwardCase>();
        while (cases.Count < 10)
        {
            var kernel = new Pair(random.Next(1, 5), random.Next(1, 5));
            // PyTorch allows padding up to half the kernel; draw across that whole range, often unequal in H and W.
            var pool = new PoolLayer(kind, kernel, new Pair(random.Next(1, 4), random.Next(1, 4)),
                new Pair(random.Next(kernel.H / 2 + 1), random.Next(kernel.W / 2 + 1)));
            var input = new TensorShape(random.Next(1, 4), random.Next(3, 13), random.Next(3, 13));
            if (ForwardCase.Fits(input, pool, new FlattenLayer()))
                cases.Add(ForwardCase.Of(input, firstSeed + cases.Count, pool, new FlattenLayer()));
        }
        return cases;
    }
}
