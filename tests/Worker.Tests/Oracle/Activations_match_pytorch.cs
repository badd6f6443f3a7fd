using Experiments.Architectures;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

public class Activations_match_pytorch
{
    // Inputs in ±8 reach the saturated tails of tanh and sigmoid, where a cheap approximation would show.
    [Theory]
    [InlineData(ActivationKind.Relu)]
    [InlineData(ActivationKind.Tanh)]
    [InlineData(ActivationKind.Sigmoid)]
    public void Across_their_saturating_range(ActivationKind kind)
    {
        var activation = new ActivationLayer(kind);
        var seed = 7_000 + 10 * (int)kind;
        ForwardCase[] cases =
        [
            ForwardCase.Of(new TensorShape(50), seed + 1, activation) with { Batch = 4, InputBound = 8 },
            ForwardCase.Of(new TensorShape(3, 6, 5), seed + 2, activation, new FlattenLayer()) with { InputBound = 8 },
            ForwardCase.Of(new TensorShape(16), seed + 3, new LinearLayer(16), activation, new LinearLayer(4), activation),
        ];

        ForwardComparison.AssertMatchesPyTorch(cases);
    }
}
