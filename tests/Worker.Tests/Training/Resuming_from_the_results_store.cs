using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Training;

public class Resuming_from_the_results_store(LocalDatabase database) : IClassFixture<LocalDatabase>
{
    [Fact]
    public async Task A_trial_restored_from_its_stored_epoch_snapshot_ends_exactly_where_an_uninterrupted_run_ends()
    {
        var data = TestData.SmallSplits();
        var plan = TestData.TinyCnn();
        var settings = new TrainingSettings { Epochs = 4, BatchSize = 32, Seed = 21, Threads = 1, LearningRateDecay = 0.8 };
        await using var store = await database.OpenAsync();

        // The first attempt records every epoch, then "dies" after epoch 2.
        var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "synthetic", settings, 0.1));
        using (var first = Model.Create(plan, settings.Seed))
            new Trainer(settings with { Epochs = 2 }).Run(first, data, new TrialRecorder(store, trial));

        // The second attempt knows only the trial id: it finds the latest stored epoch and continues from it.
        var latest = (int)await store.LatestEpochAsync(trial);
        using var resumed = Model.Create(plan, seed: 12345);
        var resumePoint = Snapshots.Restore(resumed, latest, await store.ReadSnapshotAsync(trial, latest));
        var continued = new Trainer(settings).Run(resumed, data, new TrialRecorder(store, trial), resume: resumePoint);

        using var uninterrupted = Model.Create(plan, settings.Seed);
        var straight = new Trainer(settings).Run(uninterrupted, data);

        Assert.Equal(2, latest);
        Assert.Equal([3, 4], continued.Epochs.Select(e => e.Epoch));
        Assert.Equal([0, 1, 2, 3, 4], (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));
        Assert.Equal(straight.Epochs[^1].Test!.Accuracy, continued.Epochs[^1].Test!.Accuracy);
        foreach (var tensor in uninterrupted.State)
            Assert.Equal(uninterrupted.ReadBytes(tensor), resumed.ReadBytes(resumed[tensor.Name]));
    }

    [Fact]
    public async Task Writing_an_epoch_again_is_a_no_op()
    {
        var plan = TestData.TinyCnn();
        await using var store = await database.OpenAsync();
        var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "synthetic", new TrainingSettings(), 0.1));
        var recorder = new TrialRecorder(store, trial);
        using var model = Model.Create(plan, 1);
        var optimizer = Optimizer.Create(model, new OptimizerSettings());
        var epoch = new EpochMetrics(0, 1e-3, null, new SplitMetrics(1, 0.5, 10), new SplitMetrics(1, 0.5, 10), 0, 0);

        recorder.OnEpochCompleted(epoch, model, optimizer);
        model.Write("5.bias", new float[4]); // a redelivered message could carry other weights: the first write stands
        recorder.OnEpochCompleted(epoch, model, optimizer);

        var stored = await store.ReadSnapshotAsync(trial, 0);
        Assert.Single(await store.GetEpochsAsync(trial));
        Assert.Equal(model.State.Count, stored.Count);
        Assert.NotEqual(new byte[16], stored.Single(t => t.Name == "5.bias").Data);
        optimizer.Dispose();
    }
}
