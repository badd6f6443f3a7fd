using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Node;

/// <summary>
/// A worker that was frozen past its lease trains on when it wakes: its recorder writes as the attempt it claimed, so
/// the store refuses its first epoch, training stops there, and nothing of it is recorded.
/// </summary>
public class Recording_for_an_attempt_that_lost_its_trial(LocalDatabase database) : IClassFixture<LocalDatabase>
{
    [Fact]
    public async Task Training_as_an_attempt_whose_trial_was_taken_back_stops_at_its_first_epoch_and_records_nothing_while_the_new_attempt_records_every_epoch()
    {
        var data = TestData.SmallSplits();
        var plan = TestData.TinyCnn();
        var settings = new TrainingSettings { Epochs = 2, BatchSize = 32, Seed = 5, Threads = 1 };
        await using var store = await database.OpenAsync();
        var definition = RecordedTrial.Definition(plan, "synthetic", settings, 0.1);
        var sweep = await store.CreateSweepAsync(new SweepDefinition("s", "{}", "synthetic", "val_accuracy", true, null, 3, 0, null),
            [new QueuedTrial(definition, 0, "t0")]);
        var trial = (await store.GetSweepTrialsAsync(sweep)).Single().TrialId;
        var frozen = (await store.ClaimTrialAsync(trial, "frozen-worker", TimeSpan.FromMilliseconds(1)))!.Owner;
        await Task.Delay(50);
        Assert.Equal([trial], (await store.ReclaimExpiredAsync()).Requeued);
        var current = (await store.ClaimTrialAsync(trial, "healthy-worker", TimeSpan.FromMinutes(5)))!.Owner;

        using (var woken = Model.Create(plan, settings.Seed))
        {
            var refused = Assert.Throws<TrialFencedException>(() => new Trainer(settings).Run(woken, data, new TrialRecorder(store, frozen)));
            Assert.Equal(frozen, refused.Attempt);
        }
        Assert.Empty(await store.GetEpochsAsync(trial));

        using var healthy = Model.Create(plan, settings.Seed);
        new Trainer(settings).Run(healthy, data, new TrialRecorder(store, current));
        Assert.Equal([0, 1, 2], (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));
    }
}
