using Experiments.Architectures;
using Experiments.Datasets;

namespace Experiments.Worker.Tests.Support;

/// <summary>Small datasets and models shared by the engine tests.</summary>
internal static class TestData
{
    public static readonly SyntheticOptions SmallImages = new(Channels: 1, Height: 12, Width: 12, Classes: 4, Noise: 0.2);

    /// <summary>A learnable 4-class task of 12×12 images: 800 train (10% held out) and 200 test images.</summary>
    public static DatasetSplits SmallSplits(int seed = 7) => SyntheticDataset.GenerateSplits(800, 200, seed, options: SmallImages);

    /// <summary>A tiny CNN for 1×12×12 inputs and 4 classes, with dropout so reproducibility covers its masks too.</summary>
    public static ArchitecturePlan TinyCnn() => ShapeInference.Plan(new Architecture("tiny-cnn",
    [
        new Conv2dLayer(8, Pair.Square(3), Pair.Square(1), Padding.Valid, Pair.Square(1)),
        new ActivationLayer(ActivationKind.Relu),
        new PoolLayer(PoolKind.Max, Pair.Square(2), Pair.Square(2), Pair.Square(0)),
        new FlattenLayer(),
        new DropoutLayer(0.2),
        new LinearLayer(4),
    ]), new TensorShape(1, 12, 12));
}
