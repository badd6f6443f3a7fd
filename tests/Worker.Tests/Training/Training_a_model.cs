using Experiments.Worker.Engine;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Training;

public class Training_a_model
{
    private static readonly TrainingSettings Settings = new() { Epochs = 2, BatchSize = 32, Seed = 11, Threads = 1 };

    [Fact]
    public void Learns_a_synthetic_task_well_above_chance()
    {
        using var model = Model.Create(TestData.TinyCnn(), Settings.Seed);

        var result = new Trainer(Settings).Run(model, TestData.SmallSplits());

        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.Equal([0, 1, 2], result.Epochs.Select(e => e.Epoch));
        Assert.True(result.Epochs[0].Test!.Accuracy < 0.5, $"untrained accuracy {result.Epochs[0].Test!.Accuracy}");
        Assert.True(result.Epochs[^1].Test!.Accuracy > 0.9, $"test accuracy {result.Epochs[^1].Test!.Accuracy}");
        Assert.True(result.Epochs[^1].Train!.Loss < result.Epochs[1].Train!.Loss);
    }

    [Fact]
    public void Evaluates_as_train_sample_the_first_training_images_no_more_than_the_validation_split_holds()
    {
        using var model = Model.Create(TestData.TinyCnn(), Settings.Seed);
        var data = TestData.SmallSplits(); // 720 train, 80 validation
        using var sample = NativeDataset.From(data.Train.Take(data.Validation.Count));

        var result = new Trainer(Settings with { Epochs = 1 }).Run(model, data);

        var train = Assert.Single(result.Epochs[^1].Predictions, p => p.Split == "train");
        Assert.Equal(data.Train.Labels[..data.Validation.Count], train.Labels);
        // The trained model's own logits on those images, in evaluation mode: the sample is exactly them.
        Assert.Equal(model.Predict(sample), train.Logits);
    }

    [Theory]
    [InlineData(7_200, 800, 800)]    // the 10,000 MNIST digits
    [InlineData(45_000, 5_000, 2_000)] // CIFAR-10: TrainEvaluationSample bounds it
    [InlineData(500, 0, 500)]        // no validation split: the whole (small) training split, up to 2,000
    public void The_train_sample_is_at_most_2000_images_and_no_larger_than_the_validation_split(int train, int validation, int expected)
    {
        var splits = new Datasets.DatasetSplits(Images(train), Images(validation), Images(10));

        Assert.Equal(expected, new TrainingSettings().TrainSampleSize(splits));

        static Datasets.LabelledImages Images(int count) => new(new Architectures.TensorShape(1, 1, 1), new float[count], new int[count], ["only"]);
    }

    [Fact]
    public void Is_bit_for_bit_reproducible_from_its_seed()
    {
        var data = TestData.SmallSplits();
        var (first, firstWeights) = TrainOnce(data, seed: 5);
        var (second, secondWeights) = TrainOnce(data, seed: 5);
        var (_, otherWeights) = TrainOnce(data, seed: 6);

        Assert.Equal(first.Epochs.Select(e => e.Train?.Loss), second.Epochs.Select(e => e.Train?.Loss));
        Assert.Equal(firstWeights, secondWeights);
        Assert.NotEqual(firstWeights, otherWeights);
    }

    [Fact]
    public void Applies_the_per_epoch_learning_rate_decay()
    {
        using var model = Model.Create(TestData.TinyCnn(), 1);
        var settings = Settings with { Epochs = 3, LearningRateDecay = 0.5, Optimizer = new OptimizerSettings(LearningRate: 0.01) };

        var result = new Trainer(settings).Run(model, TestData.SmallSplits());

        Assert.Equal([0.01, 0.01, 0.005, 0.0025], result.Epochs.Select(e => e.LearningRate));
    }

    [Fact]
    public void Stops_as_diverged_with_a_clear_message_when_the_loss_becomes_nan()
    {
        using var model = Model.Create(TestData.TinyCnn(), 1);
        var settings = Settings with { Epochs = 3, Optimizer = new OptimizerSettings(OptimizerKind.Sgd, LearningRate: 1e30, Momentum: 0.9) };

        var result = new Trainer(settings).Run(model, TestData.SmallSplits());

        Assert.Equal(TrainingOutcome.Diverged, result.Outcome);
        Assert.Contains("NaN or infinite", result.Message);
        Assert.Contains("diverged", result.Message);
        // The process and the engine carry on: the same model still answers.
        Assert.NotEmpty(model.ReadFloats("0.weight"));
    }

    [Fact]
    public void Reports_the_epoch_that_diverged_with_its_nan_loss_as_the_last_epoch()
    {
        using var model = Model.Create(TestData.TinyCnn(), 1);
        var settings = Settings with { Epochs = 3, Optimizer = new OptimizerSettings(OptimizerKind.Sgd, LearningRate: 1e30, Momentum: 0.9) };
        var observed = new List<EpochMetrics>();

        var result = new Trainer(settings).Run(model, TestData.SmallSplits(), new EpochsSeen(observed));

        Assert.Equal(TrainingOutcome.Diverged, result.Outcome);
        Assert.Equal(result.Epochs, observed);
        var last = result.Epochs[^1];
        Assert.True(last.Diverged);
        Assert.True(last.Epoch >= 1);
        Assert.True(double.IsNaN(last.Train!.Loss) || double.IsNaN(last.Validation!.Loss));
        Assert.All(result.Epochs.SkipLast(1), e => Assert.False(e.Diverged));
    }

    private sealed class EpochsSeen(List<EpochMetrics> seen) : ITrainingObserver
    {
        public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer) => seen.Add(metrics);
    }

    [Fact]
    public void Can_be_cancelled_between_batches()
    {
        using var model = Model.Create(TestData.TinyCnn(), 1);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        var result = new Trainer(Settings).Run(model, TestData.SmallSplits(), cancellation: cancellation.Token);

        Assert.Equal(TrainingOutcome.Cancelled, result.Outcome);
        Assert.Single(result.Epochs); // epoch 0 only
    }

    [Fact]
    public void Rejects_a_model_whose_output_does_not_match_the_dataset_classes()
    {
        using var model = Model.Create(TestData.TinyCnn(), 1);
        var tenClasses = Experiments.Datasets.SyntheticDataset.GenerateSplits(100, 20, 1,
            options: TestData.SmallImages with { Classes = 10 });

        var error = Assert.Throws<ArgumentException>(() => new Trainer(Settings).Run(model, tenClasses));

        Assert.Contains("outputs 4 class scores, but the dataset has 10 classes", error.Message);
    }

    [Fact]
    public void Rejects_impossible_settings_naming_each_problem()
    {
        using var model = Model.Create(TestData.TinyCnn(), 1);
        var bad = Settings with { Epochs = 0, BatchSize = -1, Optimizer = new OptimizerSettings(LearningRate: -1) };

        var error = Assert.Throws<ArgumentException>(() => new Trainer(bad).Run(model, TestData.SmallSplits()));

        Assert.Contains("learning rate must be a positive number", error.Message);
        Assert.Contains("epochs must be at least 1", error.Message);
        Assert.Contains("batch size must be at least 1", error.Message);
    }

    private static (TrainingResult Result, float[] Weights) TrainOnce(Experiments.Datasets.DatasetSplits data, ulong seed)
    {
        using var model = Model.Create(TestData.TinyCnn(), seed);
        var result = new Trainer(Settings with { Seed = seed }).Run(model, data);
        return (result, model.ReadFloats("5.weight"));
    }
}
