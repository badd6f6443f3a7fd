using Experiments.Worker.Engine;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Training;

public class Resuming_a_trial
{
    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Sgd)]
    public void From_an_epoch_snapshot_ends_bit_for_bit_where_an_uninterrupted_run_ends(OptimizerKind optimizer)
    {
        var data = TestData.SmallSplits();
        var settings = new TrainingSettings
        {
            Epochs = 4, BatchSize = 32, Seed = 3, Threads = 1, LearningRateDecay = 0.9,
            Optimizer = new OptimizerSettings(optimizer, LearningRate: optimizer == OptimizerKind.Adam ? 1e-3 : 0.05, WeightDecay: 1e-4),
        };

        using var uninterrupted = Model.Create(TestData.TinyCnn(), settings.Seed);
        var straight = new Trainer(settings).Run(uninterrupted, data);

        // Stop after epoch 2, keeping what a store would keep: every model tensor and the optimizer state.
        var snapshot = new SnapshotAt(2);
        using (var first = Model.Create(TestData.TinyCnn(), settings.Seed))
            new Trainer(settings with { Epochs = 2 }).Run(first, data, snapshot);

        // A different process would start from a fresh model (here even with other initial weights).
        using var resumed = Model.Create(TestData.TinyCnn(), seed: 999);
        foreach (var tensor in resumed.State) resumed.WriteBytes(tensor, snapshot.Weights[tensor.Name]);
        var continued = new Trainer(settings).Run(resumed, data, resume: new ResumePoint(2, snapshot.OptimizerState));

        Assert.NotEmpty(snapshot.OptimizerState);
        Assert.Equal([3, 4], continued.Epochs.Select(e => e.Epoch));
        Assert.Equal(straight.Epochs[^1].Train!.Loss, continued.Epochs[^1].Train!.Loss);
        foreach (var tensor in uninterrupted.State)
            Assert.Equal(uninterrupted.ReadBytes(tensor), resumed.ReadBytes(resumed[tensor.Name]));
    }

    [Fact]
    public void Without_the_optimizer_state_would_not_end_in_the_same_place()
    {
        // Guards the test above: if restoring Adam's moments did nothing, the two runs would still differ here.
        var data = TestData.SmallSplits();
        var settings = new TrainingSettings { Epochs = 3, BatchSize = 32, Seed = 3, Threads = 1 };
        using var uninterrupted = Model.Create(TestData.TinyCnn(), settings.Seed);
        new Trainer(settings).Run(uninterrupted, data);
        var snapshot = new SnapshotAt(2);
        using (var first = Model.Create(TestData.TinyCnn(), settings.Seed))
            new Trainer(settings with { Epochs = 2 }).Run(first, data, snapshot);

        using var resumed = Model.Create(TestData.TinyCnn(), settings.Seed);
        foreach (var tensor in resumed.State) resumed.WriteBytes(tensor, snapshot.Weights[tensor.Name]);
        new Trainer(settings).Run(resumed, data, resume: new ResumePoint(2, []));

        Assert.NotEqual(uninterrupted.ReadFloats("5.weight"), resumed.ReadFloats("5.weight"));
    }

    private sealed class SnapshotAt(int epoch) : ITrainingObserver
    {
        public Dictionary<string, byte[]> Weights { get; } = [];
        public IReadOnlyList<NamedTensor> OptimizerState { get; private set; } = [];

        public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer)
        {
            if (metrics.Epoch != epoch) return;
            foreach (var tensor in model.State) Weights[tensor.Name] = model.ReadBytes(tensor);
            OptimizerState = optimizer.ExportState(model);
        }
    }
}
