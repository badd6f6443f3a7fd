using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Training;

/// <summary>
/// Retention against the real engine and a real PostgreSQL: only the latest epoch keeps its optimizer state, a snapshot
/// cadence keeps epoch 0, the cadence, the best and the last, and a trial still resumes bit for bit from its latest epoch.
/// </summary>
public class Keeping_only_the_snapshots_worth_their_bytes(LocalDatabase database) : IClassFixture<LocalDatabase>
{
    private static readonly TrainingSettings Settings = new() { Epochs = 5, BatchSize = 32, Seed = 21, Threads = 1, LearningRateDecay = 0.8 };

    [Fact]
    public async Task After_three_epochs_only_the_last_holds_optimizer_tensors_and_resuming_from_it_is_bit_exact()
    {
        var (data, plan) = (TestData.SmallSplits(), TestData.TinyCnn());
        await using var store = await database.OpenAsync();
        var trial = await RecordThreeEpochsAsync(store, data, plan);

        Assert.Equal([3], await store.OptimizerStateEpochsAsync(trial));
        Assert.Equal([0, 1, 2, 3], await store.SnapshotEpochsAsync(trial)); // weights of every epoch stay by default
        foreach (var epoch in new[] { 0, 1, 2 })
            Assert.DoesNotContain(await store.ReadSnapshotAsync(trial, epoch), t => t.Name.StartsWith(ResultsStore.OptimizerTensorPrefix, StringComparison.Ordinal));

        await AssertResumesBitExactlyAsync(store, trial, data, plan, expectedLatest: 3);
    }

    [Fact]
    public async Task Resuming_after_pruning_to_the_best_and_last_epochs_is_still_bit_exact()
    {
        var (data, plan) = (TestData.SmallSplits(), TestData.TinyCnn());
        await using var store = await database.OpenAsync();
        var trial = await RecordThreeEpochsAsync(store, data, plan);
        await store.FinishTrialAsync(await store.MarkRunningAsync(trial, "worker-a"), TrialStatus.Failed, "interrupted");

        // What `results prune --trial T --keep best,last` asks for.
        var pruned = await store.PruneSnapshotsAsync(trial, null, new PruneKeep(Every: null, Best: true));

        var best = BestByValidationAccuracy(await store.GetEpochsAsync(trial));
        Assert.Equal(new SortedSet<int> { 0, best, 3 }, new SortedSet<int>(await store.SnapshotEpochsAsync(trial)));
        Assert.Equal([3], await store.OptimizerStateEpochsAsync(trial));
        Assert.Equal(new[] { 1, 2 }.Count(e => e != best), pruned.EpochsWithoutWeights);
        Assert.Equal([0, 1, 2, 3], (await store.GetEpochsAsync(trial)).Select(e => e.Epoch)); // metrics are never pruned
        await AssertResumesBitExactlyAsync(store, trial, data, plan, expectedLatest: 3);
    }

    [Fact]
    public async Task With_snapshots_every_3_a_7_epoch_trial_keeps_the_weights_of_epochs_0_3_6_7_and_the_best()
    {
        var (data, plan) = (TestData.SmallSplits(), TestData.TinyCnn());
        var settings = Settings with { Epochs = 7, LearningRateDecay = 1.0 };
        await using var store = await database.OpenAsync();
        var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "synthetic", settings, 0.1));
        using (var model = Model.Create(plan, settings.Seed))
            new Trainer(settings).Run(model, data, new TrialRecorder(store, trial, snapshots: new SnapshotPolicy(3)));

        var best = BestByValidationAccuracy(await store.GetEpochsAsync(trial));
        Assert.Equal(new SortedSet<int> { 0, 3, 6, 7, best }, new SortedSet<int>(await store.SnapshotEpochsAsync(trial)));
        Assert.Equal([7], await store.OptimizerStateEpochsAsync(trial));
        Assert.Equal(8, (await store.GetEpochsAsync(trial)).Count);
    }

    /// <summary>A first attempt that records epochs 0 to 3 with the default policy, then stops.</summary>
    private static async Task<long> RecordThreeEpochsAsync(ResultsStore store, Datasets.DatasetSplits data, Architectures.ArchitecturePlan plan)
    {
        var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "synthetic", Settings, 0.1));
        using var first = Model.Create(plan, Settings.Seed);
        new Trainer(Settings with { Epochs = 3 }).Run(first, data, new TrialRecorder(store, trial));
        return trial;
    }

    /// <summary>The best trained epoch as the leaderboard ranks it, computed here from the recorded figures.</summary>
    private static int BestByValidationAccuracy(IReadOnlyList<EpochRecord> epochs) =>
        epochs.Where(e => e.Epoch > 0 && e.Validation is { Accuracy: var a } && !double.IsNaN(a))
            .OrderByDescending(e => e.Validation!.Accuracy).ThenBy(e => e.Epoch).First().Epoch;

    /// <summary>A new attempt that knows only the trial id continues from the latest snapshot and ends where a straight run ends.</summary>
    private static async Task AssertResumesBitExactlyAsync(ResultsStore store, long trial, Datasets.DatasetSplits data,
        Architectures.ArchitecturePlan plan, int expectedLatest)
    {
        var latest = (int)await store.LatestSnapshotEpochAsync(trial);
        using var resumed = Model.Create(plan, seed: 12345);
        var resumePoint = Snapshots.Restore(resumed, latest, await store.ReadSnapshotAsync(trial, latest));
        new Trainer(Settings).Run(resumed, data, new TrialRecorder(store, trial), resume: resumePoint);
        using var uninterrupted = Model.Create(plan, Settings.Seed);
        new Trainer(Settings).Run(uninterrupted, data);

        Assert.Equal(expectedLatest, latest);
        Assert.NotEmpty(resumePoint.OptimizerState);
        foreach (var tensor in uninterrupted.State)
            Assert.Equal(uninterrupted.ReadBytes(tensor), resumed.ReadBytes(resumed[tensor.Name]));
        Assert.Equal([Settings.Epochs], await store.OptimizerStateEpochsAsync(trial));
    }
}
