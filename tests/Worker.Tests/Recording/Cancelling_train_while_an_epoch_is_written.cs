using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Recording;

/// <summary>
/// <c>train</c> (<see cref="RecordedTrial"/>, pipelined) cancelled by Ctrl-C while an epoch's write is in flight. The
/// write is held open by another connection's lock on <c>epoch_artifacts</c>, taken once epoch 0 has committed: epoch 1's
/// write (fenced, its epoch row and tensors written) then waits at its artifacts until that transaction ends, which the
/// test lets happen only after <c>train</c> returned. So the cancelled write is in flight when the cancel comes, and
/// could not have committed: a fact, not a race. (An uncommitted epoch row would hold it too, but the store's trigger
/// that keeps each trial's best then also holds the trial's row, which the cancel itself must update.)
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
            // Before epoch 1 is handed to the recorder (the hand-off would wait for epoch 0's write), once epoch 0 has
            // committed, the artifacts table is locked, so epoch 1's write will wait at its artifacts.
            Completed = m =>
            {
                if (m.Epoch == 2 && !whileEpoch2Trains) ctrlC.Cancel();
                if (m.Epoch != 1) return;
                WaitForEpochZeroToCommit(store);
                epoch1Held = HeldTransaction.BeginAsync(database.ConnectionString, "LOCK TABLE epoch_artifacts IN SHARE MODE").GetAwaiter().GetResult();
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

    /// <summary>Waits until epoch 0 of the newest trial (this class's tests run one at a time) is committed.</summary>
    private static void WaitForEpochZeroToCommit(ResultsStore store)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            var newest = store.ListTrialsAsync(limit: 1).GetAwaiter().GetResult().Single();
            if (store.GetEpochsAsync(newest.Id).GetAwaiter().GetResult().Any(e => e.Epoch == 0)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("epoch 0 did not commit within a minute");
            Thread.Sleep(20);
        }
    }
}
