using Experiments.Architectures;
using Experiments.Worker.Engine;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

public class Optimizer_steps_match_pytorch
{
    // Every parameter and buffer within 1e-6 after the steps (they were bit-identical when this was written). That
    // needs identical gradients, not merely close ones: where weight decay nearly cancels a gradient (|g| ≪ ε), Adam
    // moves the weight by lr·g/ε, so a gradient difference Δg moves it by lr·Δg/ε. Seen once: a 2e-9 difference, from
    // the oracle running with another OPENBLAS_NUM_THREADS than the engine, moved a weight by 5e-6. PyTorchOracle
    // now gives both the same environment.
    private const double Tolerance = 1e-6;

    // Every kind of parameter the engine trains (convolution with and without bias, both batch norms, a residual
    // block with its projection, linear layers) and no dropout, whose masks are drawn differently on each side.
    private static readonly Architecture Composite = new("oracle-composite",
    [
        new Conv2dLayer(4, Pair.Square(3), Pair.Square(1), Padding.Of(1), Pair.Square(1)),
        new BatchNormLayer(), new ActivationLayer(ActivationKind.Relu),
        new PoolLayer(PoolKind.Max, Pair.Square(2), Pair.Square(2), Pair.Square(0)),
        new ResidualBlockLayer(6, 2),
        new FlattenLayer(), new LinearLayer(12), new BatchNormLayer(), new ActivationLayer(ActivationKind.Tanh),
        new LinearLayer(5, Bias: false),
    ]);

    private static readonly TensorShape CompositeInput = new(3, 8, 8);

    [Fact]
    public void For_one_adam_step_with_non_default_settings()
    {
        var adam = new OptimizerSettings(OptimizerKind.Adam, LearningRate: 3e-3, WeightDecay: 1e-2, Beta1: 0.8, Beta2: 0.95, Epsilon: 1e-6);
        var lenet = ArchitectureCatalog.BuiltIns["lenet-cifar"];
        var ffnn = ArchitectureCatalog.BuiltIns["ffnn-100"];
        TrainingCase[] cases =
        [
            // One batch holding every sample: a single step, as the issue asks.
            new("composite net, Adam", Composite, CompositeInput, adam, Samples: 16, BatchSize: 16, Classes: 5, Seed: 11_001),
            new("lenet-cifar, Adam", lenet, lenet.Input!, adam, Samples: 8, BatchSize: 8, Classes: 10, Seed: 11_002),
            new("ffnn-100, Adam", ffnn, ffnn.Input!, adam, Samples: 8, BatchSize: 8, Classes: 10, Seed: 11_003),
        ];

        TrainingComparison.AssertMatchesPyTorch(cases, Tolerance);
    }

    [Fact]
    public void For_two_sgd_steps_with_momentum_and_with_nesterov()
    {
        // Two batches, so the second step adds the momentum buffer the first one filled.
        var momentum = new OptimizerSettings(OptimizerKind.Sgd, LearningRate: 0.05, Momentum: 0.9);
        TrainingCase[] cases =
        [
            new("composite net, SGD momentum 0.9", Composite, CompositeInput, momentum, Samples: 16, BatchSize: 8, Classes: 5, Seed: 12_001),
            new("composite net, SGD Nesterov 0.7", Composite, CompositeInput, momentum with { Momentum = 0.7, Nesterov = true },
                Samples: 15, BatchSize: 8, Classes: 5, Seed: 12_002),
        ];

        TrainingComparison.AssertMatchesPyTorch(cases, Tolerance);
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Sgd)]
    public void With_weight_decay_as_l2_added_to_the_gradient(OptimizerKind kind)
    {
        var settings = new OptimizerSettings(kind, LearningRate: kind == OptimizerKind.Adam ? 1e-2 : 0.1, Momentum: 0.9);
        TrainingCase Run(double decay) =>
            new($"composite net, {kind}, weight decay {decay}", Composite, CompositeInput, settings with { WeightDecay = decay },
                Samples: 16, BatchSize: 8, Classes: 5, Seed: 13_000 + (int)kind);

        var states = TrainingComparison.AssertMatchesPyTorch([Run(0), Run(0.1)], Tolerance);

        // Same seed, so the runs differ only by weight decay; its effect must be ours and PyTorch's alike, and large
        // enough that an engine ignoring it would have failed above.
        var (plain, decayed) = (states[0], states[1]);
        var largest = 0.0;
        foreach (var name in decayed.Ours.Keys.Where(n => n.EndsWith("weight", StringComparison.Ordinal)))
        {
            var ours = Difference(decayed.Ours[name], plain.Ours[name]);
            var theirs = Difference(decayed.PyTorch[name], plain.PyTorch[name]);
            Assert.Null(Closeness.Disagreement($"{name}: the change weight decay makes", ours, theirs, 2 * Tolerance));
            largest = Math.Max(largest, theirs.Data.Max(Math.Abs));
        }
        Assert.True(largest > 100 * Tolerance, $"weight decay moved no weight by more than {largest:G3} in PyTorch; the check would be vacuous");
    }

    private static Tensor Difference(Tensor a, Tensor b) => new(a.Shape, [.. a.Data.Zip(b.Data, (x, y) => x - y)]);
}
