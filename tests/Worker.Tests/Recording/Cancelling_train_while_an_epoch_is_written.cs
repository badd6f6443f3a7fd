using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Recording;

/// <summary>
/// <c>train</c> (<see cref="RecordedTrial"/>, pipelined) cancelled by Ctrl-C while an epoch's write is in flight. The
/// write is held open by a row another connection inserted for that epoch and has not committed: the write's
/// <c>INSERT … ON CONFLICT</c> waits on it until that transaction ends, which the test lets happen only after <c>train</c>
/// returned. So the cancelled write is in flight when the cancel comes, and could not have committed: a fact, not a race.
/// </summary>
public class Cancelling_train_while_an_epoch_is_written(LocalDatabase database) : IClassFixture<LocalDatabase>
{
    // 720 training images in batches of 32: 23 batches, so an epoch trains in two native calls and a cancel made after
    // the first is seen before the epoch ends.
    private static readonly TrainingSettings Settings = new() { Epochs = 3, BatchSize = 32, Seed = 41, Threads = 1 };

    /// <param name="whileEpoch2Trains">Ctrl-C after epoch 2's first chunk of batches (training then stops at the next);
    /// otherwise as epoch 2 ends, before its hand-off, which then finds epoch 1's write cancelled.</param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Ctrl_c_during_epoch_1s_write_keeps_epoch_0_whole_leaves_no_trace_of_epoch_1_and_ends_the_trial_cancelled(bool whileEpoch2Trains)
    {
        var (data, plan) = (TestData.SmallSplits(), TestData.TinyCnn());
        await using var store = await database.OpenAsync();
        using var ctrlC = new CancellationTokenSource();
        HeldTransaction? epoch1Held = null;
        var user = new TrainingHooks
        {
            // Before epoch 0 is handed to the recorder, epoch 1's row is inserted uncommitted (into the newest trial: this
            // class's tests run one at a time), so epoch 1's write will wait on it.
            Completed = m =>
            {
                if (m.Epoch == 2 && !whileEpoch2Trains) ctrlC.Cancel();
                if (m.Epoch != 0) return;
                epoch1Held = HeldTransaction.BeginAsync(database.ConnectionString,
                    "INSERT INTO epochs (trial_id, epoch, learning_rate, seconds, images_per_second) SELECT max(id), 1, 0, 0, 0 FROM trials")
                    .GetAwaiter().GetResult();
            },
            // Epoch 2 trains while epoch 1's write waits (the hand-off of 1 returned once 0 committed); Ctrl-C after its
            // first chunk of batches.
            Batches = p => { if (whileEpoch2Trains && p.Epoch == 2 && p.BatchesDone < p.TotalBatches) ctrlC.Cancel(); },
        };

        var (trial, result) = await RecordedTrial.RunAsync(store, plan, "synthetic", data, Settings, 0.1, Device.Cpu, user, ctrlC.Token);
        await using (epoch1Held!) await epoch1Held!.ReleaseAsync();

        Assert.Equal(TrainingOutcome.Cancelled, result.Outcome);
        Assert.Equal("cancelled while recording epoch 1", result.Message);
        Assert.Equal([0], result.Epochs.Select(e => e.Epoch));
        var row = await store.GetTrialAsync(trial);
        Assert.Equal(TrialStatus.Cancelled, row!.Status);
        Assert.Equal("cancelled while recording epoch 1", row.Error);

        // Epoch 0 whole: its figures, every split's artifact, every tensor of the model (reading checks each one's
        // SHA-256). Epoch 1: nothing at all.
        Assert.Equal([0], (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));
        var artifacts = await store.GetArtifactsAsync(trial, TrialRecorder.ClassificationKind);
        Assert.Equal([(0, "train"), (0, "val"), (0, "test")], artifacts.Select(a => (a.Epoch, a.Split)));
        Assert.Equal([0], await store.SnapshotEpochsAsync(trial));
        using (var untrained = Model.Create(plan, Settings.Seed))
            Assert.Equal(untrained.State.Select(t => t.Name), Snapshots.ModelTensors(await store.ReadSnapshotAsync(trial, 0)).Select(t => t.Name));
        Assert.Empty(await store.ReadSnapshotAsync(trial, 1));

        // Resumed from what committed, the trial ends bit for bit as one never interrupted.
        var again = await store.MarkRunningAsync(trial, "resume-after-ctrl-c");
        using var resumed = Model.Create(plan, seed: 999);
        var resumePoint = Snapshots.Restore(resumed, 0, await store.ReadSnapshotAsync(trial, 0));
        var recorder = new TrialRecorder(store, again) { Pipelined = true };
        recorder.Record(() => new Trainer(Settings).Run(resumed, data, recorder, resume: resumePoint));
        using var uninterrupted = Model.Create(plan, Settings.Seed);
        new Trainer(Settings).Run(uninterrupted, data);

        Assert.Equal([0, 1, 2, 3], (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));
        foreach (var tensor in uninterrupted.State)
            Assert.Equal(uninterrupted.ReadBytes(tensor), resumed.ReadBytes(resumed[tensor.Name]));
    }
}
