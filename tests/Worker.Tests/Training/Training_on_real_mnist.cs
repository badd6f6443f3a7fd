using Experiments.Architectures;
using Experiments.Worker.Engine;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Training;

public class Training_on_real_mnist(RealMnist mnist) : IClassFixture<RealMnist>
{
    [Fact]
    public void Lenet_matconvnet_reaches_97_percent_on_the_held_out_test_digits()
    {
        var data = mnist.Load();
        var plan = ShapeInference.Plan(ArchitectureCatalog.Resolve("lenet-matconvnet"));
        using var model = Model.Create(plan, seed: 1);
        var settings = new TrainingSettings { Epochs = 6, BatchSize = 64, LearningRateDecay = 0.8, Seed = 1, Threads = 1 };

        var result = new Trainer(settings).Run(model, data);

        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.Equal(2_000, result.Epochs[^1].Test!.Samples);
        Assert.True(result.Epochs[^1].Test!.Accuracy >= 0.97,
            "test accuracy per epoch: " + string.Join(", ", result.Epochs.Select(e => $"{e.Epoch}: {e.Test!.Accuracy:P2}")));
    }
}
