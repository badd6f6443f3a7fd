using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Recording;

/// <summary>
/// The pipelined recorder (what workers and <c>train</c> use): epoch e's write runs while epoch e + 1 trains. Each test
/// holds the trial's row locked from another connection, so an epoch's write is held open for as long as the test
/// chooses: what trains meanwhile, and what is committed, are then facts rather than races.
/// </summary>
public class Writing_an_epoch_while_the_next_trains(LocalDatabase database) : IClassFixture<LocalDatabase>
{
    private static readonly TrainingSettings Settings = new() { Epochs = 4, BatchSize = 32, Seed = 33, Threads = 1, LearningRateDecay = 0.8 };

    // Far past what the tiny model's training needs, and under the store's 5 s lock timeout for a waiting epoch write.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Epoch_1_trains_while_epoch_0s_write_is_held_uncommitted_and_every_epoch_commits_in_the_end()
    {
        var (data, plan) = (TestData.SmallSplits(), TestData.TinyCnn());
        await using var store = await database.OpenAsync();
        var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "synthetic", Settings, 0.1));
        var owner = await store.MarkRunningAsync(trial, "pipeline-test");
        var recorder = new TrialRecorder(store, owner) { Pipelined = true };
        var epoch1Trains = new ManualResetEventSlim();
        var watcher = new TrainingHooks { Batches = p => { if (p.Epoch == 1) epoch1Trains.Set(); } };

        TrainingResult result;
        await using (var hold = await HeldTransaction.LockTrialAsync(database.ConnectionString, trial))
        {
            var training = Task.Run(() =>
            {
                using var model = Model.Create(plan, Settings.Seed);
                return new Trainer(Settings).Run(model, data, new CompositeObserver(recorder, watcher));
            });
            var overlapped = epoch1Trains.Wait(Patience);
            var committedMeanwhile = (await store.GetEpochsAsync(trial)).Count;
            await hold.ReleaseAsync();
            result = await training;
            recorder.Flush();

            Assert.True(overlapped, "epoch 1 did not start training while epoch 0's write was held open: the write is not pipelined");
            Assert.Equal(0, committedMeanwhile);
        }
        Assert.Equal(TrainingOutcome.Completed, result.Outcome);
        Assert.Equal([0, 1, 2, 3, 4], (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));
        Assert.Equal([4], await store.OptimizerStateEpochsAsync(trial));
    }

    [Fact]
    public async Task A_write_refused_by_fencing_stops_training_at_once_and_no_later_epoch_is_written()
    {
        var (data, plan) = (TestData.SmallSplits(), TestData.TinyCnn());
        var settings = Settings with { Epochs = 6 };
        await using var store = await database.OpenAsync();
        var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "synthetic", settings, 0.1));
        var owner = await store.MarkRunningAsync(trial, "pipeline-test");
        using var epoch0Committed = new ManualResetEventSlim();
        var recorder = new TrialRecorder(store, owner) { Pipelined = true, Committed = m => { if (m.Epoch == 0) epoch0Committed.Set(); } };
        var lastStarted = 0;
        // Once epoch 0 is in and before the recorder sees epoch 1, the trial is taken from this attempt (as a frozen
        // worker's expired lease is re-claimed by another).
        var takeBack = new TrainingHooks
        {
            Started = e => lastStarted = e,
            Completed = m =>
            {
                if (m.Epoch != 1) return;
                Assert.True(epoch0Committed.Wait(Patience));
                store.MarkRunningAsync(trial, "another-worker").GetAwaiter().GetResult();
            },
        };
        using var stopTraining = CancellationTokenSource.CreateLinkedTokenSource(recorder.WriteFailed);

        using var model = Model.Create(plan, settings.Seed);
        TrainingResult? result = null;
        var thrown = Record.Exception(() =>
        {
            result = new Trainer(settings).Run(model, data, new CompositeObserver(takeBack, recorder), stopTraining.Token);
            recorder.Flush();
        });

        var refused = Assert.IsType<TrialFencedException>(thrown);
        Assert.Equal(owner, refused.Attempt);
        // Epoch 2 may have started before the refusal came back; its hand-off (or the cancellation) stops it there.
        Assert.InRange(lastStarted, 1, 2);
        Assert.True(result is null || result.Outcome == TrainingOutcome.Cancelled);
        Assert.Equal([0], (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));
    }

    [Fact]
    public async Task Killed_while_an_epochs_write_is_in_flight_the_trial_resumes_from_its_last_committed_epoch_bit_exactly()
    {
        var (data, plan) = (TestData.SmallSplits(), TestData.TinyCnn());
        await using var store = await database.OpenAsync();
        var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "synthetic", Settings, 0.1));
        var first = await store.MarkRunningAsync(trial, "pipeline-test");

        // The first attempt: epoch 2's write is held open, and the process "dies" while epoch 3 trains. Cancelling the
        // attempt's token aborts the open transaction exactly as a killed process's dropped connection does.
        using var kill = new CancellationTokenSource();
        using var epoch1Committed = new ManualResetEventSlim();
        var recorder = new TrialRecorder(store, first, kill.Token) { Pipelined = true, Committed = m => { if (m.Epoch == 1) epoch1Committed.Set(); } };
        HeldTransaction? hold = null;
        var dies = new TrainingHooks
        {
            Completed = m =>
            {
                if (m.Epoch != 2) return;
                Assert.True(epoch1Committed.Wait(Patience));
                hold = HeldTransaction.LockTrialAsync(database.ConnectionString, trial).GetAwaiter().GetResult();
            },
            Batches = p => { if (p.Epoch == 3) kill.Cancel(); },
        };
        using (var model = Model.Create(plan, Settings.Seed))
        {
            using var stopTraining = CancellationTokenSource.CreateLinkedTokenSource(kill.Token, recorder.WriteFailed);
            // Training stops at its next batch chunk, or at epoch 3's hand-off when the epoch ends first; either way the
            // cancelled write is the attempt's failure.
            var thrown = Record.Exception(() =>
            {
                new Trainer(Settings).Run(model, data, new CompositeObserver(dies, recorder), stopTraining.Token);
                recorder.Flush();
            });
            Assert.IsAssignableFrom<OperationCanceledException>(thrown);
        }
        await using (hold!) await hold!.ReleaseAsync();
        await store.FinishTrialAsync(first, TrialStatus.Failed, "killed");
        Assert.Equal([0, 1], (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));

        // The next attempt resumes from what committed, pipelined too.
        var second = await store.MarkRunningAsync(trial, "pipeline-test");
        var latest = (int)await store.LatestSnapshotEpochAsync(trial);
        using var resumed = Model.Create(plan, seed: 999);
        var resumePoint = Snapshots.Restore(resumed, latest, await store.ReadSnapshotAsync(trial, latest));
        var again = new TrialRecorder(store, second) { Pipelined = true };
        new Trainer(Settings).Run(resumed, data, again, resume: resumePoint);
        again.Flush();

        using var uninterrupted = Model.Create(plan, Settings.Seed);
        new Trainer(Settings).Run(uninterrupted, data);

        Assert.Equal(1, latest);
        Assert.Equal([0, 1, 2, 3, 4], (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));
        foreach (var tensor in uninterrupted.State)
            Assert.Equal(uninterrupted.ReadBytes(tensor), resumed.ReadBytes(resumed[tensor.Name]));
        var stored = Snapshots.ModelTensors(await store.ReadSnapshotAsync(trial, 4)).ToDictionary(t => t.Name);
        foreach (var tensor in uninterrupted.State)
            Assert.Equal(uninterrupted.ReadBytes(tensor), stored[tensor.Name].Data);
    }
}
