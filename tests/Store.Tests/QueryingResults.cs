using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace Experiments.Store.Tests;

[Collection(PostgresCollection.Name)]
public sealed class QueryingResults(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    private static EpochRecord Figures(int epoch, double valAccuracy, double valLoss, double testAccuracy) =>
        Make.Epoch(epoch, valAccuracy, valLoss, testAccuracy);

    [Fact]
    public async Task Top_ranks_trials_by_their_best_epoch_in_the_direction_of_the_metric()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var sweep = await store.CreateSweepAsync("top", """{"grid":{"lr":[0.1,0.01,0.001]}}""");
        var a = await store.CreateTrialAsync(Make.Trial(sweep, seed: 1));
        var b = await store.CreateTrialAsync(Make.Trial(sweep, seed: 2));
        var c = await store.CreateTrialAsync(Make.Trial(sweep, seed: 3));
        var outsider = await store.CreateTrialAsync(Make.Trial(null, seed: 4));
        // a: best accuracy 0.70 at epoch 1, best loss 0.80 at epoch 2.
        await store.WriteEpochAsync(a, Figures(0, 0.10, 2.30, 0.11), []);
        await store.WriteEpochAsync(a, Figures(1, 0.70, 0.90, 0.68), []);
        await store.WriteEpochAsync(a, Figures(2, 0.65, 0.80, 0.66), []);
        // b: best accuracy 0.80 at epoch 1 (a NaN epoch never wins), best loss 0.85 at epoch 1.
        await store.WriteEpochAsync(b, Figures(0, 0.10, 2.30, 0.09), []);
        await store.WriteEpochAsync(b, Figures(1, 0.80, 0.85, 0.79), []);
        await store.WriteEpochAsync(b, Figures(2, double.NaN, double.NaN, double.NaN), []);
        // c: best accuracy 0.60, best loss 0.70; its untrained epoch 0 looks better still, but epoch 0 never ranks.
        await store.WriteEpochAsync(c, Figures(0, 0.95, 0.05, 0.95), []);
        await store.WriteEpochAsync(c, Figures(1, 0.60, 0.70, 0.55), []);
        // outsider beats everyone but is not in the sweep.
        await store.WriteEpochAsync(outsider, Figures(1, 0.99, 0.01, 0.98), []);

        var byAccuracy = await store.TopAsync("val_accuracy", sweep, 10);
        var byLoss = await store.TopAsync("val_loss", sweep, 10);
        var overall = await store.TopAsync("val_accuracy", null, 2);

        Assert.Equal([b, a, c], byAccuracy.Select(r => r.Id));
        Assert.Equal([1, 1, 1], byAccuracy.Select(r => r.BestEpoch ?? -1));
        Assert.Equal([0.80, 0.70, 0.60], byAccuracy.Select(r => r.RankedValue ?? 0));
        Assert.Equal([0.79, 0.68, 0.55], byAccuracy.Select(r => r.TestAccuracyAtBest ?? 0));
        Assert.All(byAccuracy, r => Assert.Equal("val_accuracy", r.RankedBy));

        Assert.Equal([c, a, b], byLoss.Select(r => r.Id));
        Assert.Equal([1, 2, 1], byLoss.Select(r => r.BestEpoch ?? -1));
        Assert.Equal([0.70, 0.80, 0.85], byLoss.Select(r => r.RankedValue ?? 0));
        Assert.Equal([2, 3, 3], byLoss.Select(r => r.EpochsRecorded));
        Assert.Equal([1, 2, 2], byLoss.Select(r => r.EpochsTrained));

        Assert.Equal([outsider, b], overall.Select(r => r.Id));
        await Assert.ThrowsAsync<ArgumentException>(() => store.TopAsync("val_accuracy; drop table trials", null, 5));
    }

    [Fact]
    public async Task Trial_summary_holds_each_trials_best_validation_epoch_and_its_test_accuracy()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        var empty = await store.CreateTrialAsync(Make.Trial());
        await store.WriteEpochAsync(trial, Figures(0, 0.10, 2.3, 0.10), []);
        await store.WriteEpochAsync(trial, Figures(1, 0.72, 0.9, 0.70), []);
        await store.WriteEpochAsync(trial, Figures(2, 0.72, 0.8, 0.71), []); // a tie goes to the earlier epoch
        await store.WriteEpochAsync(trial, Figures(3, double.NaN, double.NaN, 0.99), []);

        var row = (await store.GetTrialAsync(trial))!;
        var none = (await store.GetTrialAsync(empty))!;
        await using var db = store.CreateDbContext();
        var view = await db.TrialSummaries.SingleAsync(s => s.TrialId == trial);

        Assert.Equal((4, 1, 0.72, 0.70), (row.EpochsRecorded, row.BestEpoch, row.BestValAccuracy, row.TestAccuracyAtBest));
        Assert.Equal((0.9, 0.70), (view.ValLossAtBest, view.TestAccuracyAtBest));
        Assert.Equal((0, (int?)null, (double?)null), (none.EpochsRecorded, none.BestEpoch, none.BestValAccuracy));
        Assert.Null(await store.GetTrialAsync(999_999));
    }

    [Fact]
    public async Task A_diverged_epoch_is_kept_with_its_nan_loss_and_no_snapshot_and_the_trial_never_ranks_by_its_untrained_epoch()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var sweep = await store.CreateSweepAsync("diverging", "{}");
        var diverged = await store.CreateTrialAsync(Make.Trial(sweep));
        await store.WriteEpochAsync(diverged, Figures(0, 0.30, 2.2, 0.31), Make.SmallSnapshot());
        var divergedEpoch = new EpochRecord(1, 1e30, new SplitFigures(double.NaN, 0.1, 128), null, null, 0.5, 256);

        Assert.True(await store.WriteEpochAsync(diverged, divergedEpoch, []));

        var epochs = await store.GetEpochsAsync(diverged);
        var row = (await store.GetTrialAsync(diverged))!;
        Assert.Equal([0, 1], epochs.Select(e => e.Epoch));
        Assert.True(double.IsNaN(epochs[1].Train!.Loss));
        Assert.Null(epochs[1].Validation);
        Assert.Equal((2, 1, (int?)null), (row.EpochsRecorded, row.EpochsTrained, row.BestEpoch));
        Assert.Empty(await store.TopAsync("val_accuracy", sweep, 10));
        Assert.Empty(await store.TopAsync("val_loss", sweep, 10));
        Assert.Equal(0, await store.LatestSnapshotEpochAsync(diverged));
        Assert.Equal([0], await store.SnapshotEpochsAsync(diverged));
        Assert.Equal((1, (double?)null), (await store.GetSweepTrialsAsync(sweep)).Select(t => (t.EpochsRecorded, t.BestMetric)).Single());
    }

    [Fact]
    public async Task What_an_attempt_trained_on_and_by_is_recorded_with_the_trial()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        Assert.Null((await store.GetTrialAsync(trial))!.Context);

        await store.RecordTrainingContextAsync(trial, new TrainingContext(9_000, 1_000, 2_000, "0123abcd", "node-7"));

        Assert.Equal(new TrainingContext(9_000, 1_000, 2_000, "0123abcd", "node-7"), (await store.GetTrialAsync(trial))!.Context);
        Assert.Equal(new TrainingContext(9_000, 1_000, 2_000, "0123abcd", "node-7"), (await store.ListTrialsAsync()).Single(t => t.Id == trial).Context);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => store.RecordTrainingContextAsync(999_999, new TrainingContext(1, 1, 1, "x", "y")));
    }

    [Fact]
    public async Task Epoch_metrics_long_has_one_row_per_recorded_figure()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        var epoch = new EpochRecord(4, 0.0005, new SplitFigures(0.5, 0.8, 45_000), new SplitFigures(0.6, 0.75, 5_000), null, 24.5, 1_836.7);
        await store.WriteEpochAsync(trial, epoch, []);

        await using var db = store.CreateDbContext();
        var rows = await db.EpochMetrics.Where(m => m.TrialId == trial).ToListAsync();
        var figures = rows.ToDictionary(m => (m.Split, m.Metric), m => m.Value);

        Assert.All(rows, m => Assert.Equal(4, m.Epoch));
        Assert.Equal(9, rows.Count); // no test split: its three figures are absent, not NULL rows
        Assert.Equal(0.5, figures[("train", "loss")]);
        Assert.Equal(0.8, figures[("train", "accuracy")]);
        Assert.Equal(45_000, figures[("train", "samples")]);
        Assert.Equal(0.6, figures[("val", "loss")]);
        Assert.Equal(0.75, figures[("val", "accuracy")]);
        Assert.Equal(5_000, figures[("val", "samples")]);
        Assert.Equal(0.0005, figures[("epoch", "learning_rate")]);
        Assert.Equal(24.5, figures[("epoch", "seconds")]);
        Assert.Equal(1_836.7, figures[("epoch", "images_per_second")]);
    }

    [Fact]
    public async Task Trials_list_newest_first_and_filter_by_sweep()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var sweep = await store.CreateSweepAsync("list", "{}");
        var first = await store.CreateTrialAsync(Make.Trial(sweep));
        var second = await store.CreateTrialAsync(Make.Trial(sweep, architecture: "ffnn-100", seed: 42));
        await store.CreateTrialAsync(Make.Trial());

        var listed = await store.ListTrialsAsync(sweep);
        var limited = await store.ListTrialsAsync(limit: 1);

        Assert.Equal([second, first], listed.Select(t => t.Id));
        Assert.Equal(("ffnn-100", "cifar10", 42L, sweep), (listed[0].Architecture, listed[0].Dataset, listed[0].Seed, listed[0].SweepId!.Value));
        Assert.Equal(0.001, JsonNode.Parse(listed[0].HyperparametersJson)!["lr"]!.GetValue<double>());
        Assert.Single(limited);
    }

    [Fact]
    public async Task The_architecture_spec_reads_back_as_the_same_json_value()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var definition = Make.Trial();
        var trial = await store.CreateTrialAsync(definition);

        var spec = await store.GetArchitectureSpecAsync(trial);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(definition.ArchitectureSpec), JsonNode.Parse(spec!)));
        Assert.Null(await store.GetArchitectureSpecAsync(999_999));
    }

    [Fact]
    public async Task Heartbeats_register_the_worker_and_keep_a_history()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        var attempt = await store.MarkRunningAsync(trial, "w1");

        await store.HeartbeatAsync(new WorkerHeartbeat("w1", "host-a", 2, 0, 1, []), TimeSpan.FromSeconds(30));
        await store.HeartbeatAsync(new WorkerHeartbeat("w1", "host-b", 4, 0, 1, [attempt]), TimeSpan.FromSeconds(30));

        await using var db = store.CreateDbContext();
        var worker = await db.Workers.SingleAsync(w => w.Name == "w1");
        var beats = await db.WorkerHeartbeats.Where(h => h.Worker == "w1").OrderBy(h => h.At).ToListAsync();
        Assert.Equal(("host-b", 4), (worker.Host, worker.Slots));
        Assert.Equal(2, beats.Count);
        Assert.Equal([trial], beats[1].TrialIds);
        Assert.Equal(1, beats[1].BusySlots);
    }
}
