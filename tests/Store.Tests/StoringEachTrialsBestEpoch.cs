using Npgsql;

namespace Experiments.Store.Tests;

/// <summary>
/// The best epoch (and count of trained epochs) the store keeps on each trial (migration 0012, docs/schema.md "A trial's
/// best epoch") against those worked out here from the trial's epoch rows: the sweep's metric and goal (val_accuracy, maximised, outside a sweep),
/// trained epochs only, finite values only, the earliest of equals; kept through retried writes, resumed attempts,
/// deleted epochs and prunes, and computed by the migration for trials recorded before it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StoringEachTrialsBestEpoch(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private static async Task<(ResultsStore Store, long Sweep, long Trial)> SweepTrialAsync(string connection, string metric, bool maximize, int maxAttempts = 1)
    {
        var store = await ResultsStore.OpenAsync(connection);
        var sweep = await store.CreateSweepAsync(new SweepDefinition("best", "{}", "synthetic", metric, maximize, null, maxAttempts, 0, null),
            [new QueuedTrial(Make.Trial(), 0, "t0")]);
        return (store, sweep, (await store.GetSweepTrialsAsync(sweep)).Single().TrialId);
    }

    /// <summary>The trial's best (epoch, value) by <paramref name="metric"/>, worked out here from its epoch rows; null when none counts.</summary>
    private static async Task<(int Epoch, double Value)?> BestFromEpochRowsAsync(string connection, long trial, string metric, bool maximize)
    {
        var values = new List<(int Epoch, double? Value)>();
        await using (var db = new NpgsqlConnection(connection))
        {
            await db.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT epoch, {metric} FROM epochs WHERE trial_id = @trial", db);
            command.Parameters.AddWithValue("trial", trial);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) values.Add((reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetDouble(1)));
        }
        var ranked = values.Where(v => v.Epoch > 0 && v.Value is { } x && double.IsFinite(x)).Select(v => (v.Epoch, Value: v.Value!.Value))
            .OrderBy(v => maximize ? -v.Value : v.Value).ThenBy(v => v.Epoch).ToList();
        return ranked.Count == 0 ? null : ranked[0];
    }

    private static async Task<(int Epoch, double Value)?> StoredBestAsync(string connection, long trial) =>
        (await StoredFiguresAsync(connection, trial)).Best;

    /// <summary>The trial's stored best (epoch, value) and count of trained epochs.</summary>
    private static async Task<((int Epoch, double Value)? Best, int Trained)> StoredFiguresAsync(string connection, long trial)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT best_metric_epoch, best_metric_value, epochs_trained FROM trials WHERE id = @trial", db);
        command.Parameters.AddWithValue("trial", trial);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(reader.IsDBNull(0), reader.IsDBNull(1));
        return (reader.IsDBNull(0) ? null : (reader.GetInt32(0), reader.GetDouble(1)), reader.GetInt32(2));
    }

    /// <summary>
    /// The best worked out from the epoch rows is <paramref name="expected"/>, and the stored best is the same, with
    /// the stored count of trained epochs equal to the epoch rows after epoch 0.
    /// </summary>
    private static async Task AssertStoredFiguresAsync(string connection, long trial, string metric, bool maximize, (int Epoch, double Value)? expected)
    {
        Assert.Equal(expected, await BestFromEpochRowsAsync(connection, trial, metric, maximize));
        Assert.Equal((expected, await TrainedEpochRowsAsync(connection, trial)), await StoredFiguresAsync(connection, trial));
    }

    private static async Task<int> TrainedEpochRowsAsync(string connection, long trial)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT epoch FROM epochs WHERE trial_id = @trial", db);
        command.Parameters.AddWithValue("trial", trial);
        await using var reader = await command.ExecuteReaderAsync();
        var trained = 0;
        while (await reader.ReadAsync()) trained += reader.GetInt32(0) > 0 ? 1 : 0;
        return trained;
    }

    // Epoch 0 (the untrained model) and the non-finite values would win if they counted; epochs 3 and 5 tie.
    [Theory]
    [InlineData("val_accuracy", true, new[] { 0.99, 0.50, double.NaN, 0.70, double.PositiveInfinity, 0.70, 0.60 }, 3, 0.70)]
    [InlineData("val_loss", false, new[] { 0.01, 0.90, double.NegativeInfinity, 0.40, double.NaN, 0.40, 0.80 }, 3, 0.40)]
    public async Task The_stored_best_is_the_best_finite_trained_value_by_the_sweeps_goal_and_the_earliest_of_equals(
        string metric, bool maximize, double[] values, int bestEpoch, double bestValue)
    {
        var (store, sweep, trial) = await SweepTrialAsync(await database.NewDatabaseAsync(), metric, maximize);
        await using var _ = store;
        for (var e = 0; e < values.Length; e++)
            Assert.True(await store.WriteEpochAsync(trial, maximize ? Make.Epoch(e, valAccuracy: values[e]) : Make.Epoch(e, valLoss: values[e]), []));

        await AssertStoredFiguresAsync(store.ConnectionString, trial, metric, maximize, (bestEpoch, bestValue));
        var row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal((bestEpoch, bestValue), (row.BestEpoch!.Value, row.BestMetric!.Value));
        // `results top` ranks by the same definition: it skips the non-finite values too.
        var top = Assert.Single(await store.TopAsync(metric, sweep, 10));
        Assert.Equal((bestEpoch, bestValue), (top.BestEpoch!.Value, top.RankedValue!.Value));
    }

    [Fact]
    public async Task A_trial_outside_a_sweep_is_ranked_by_validation_accuracy_and_has_no_best_until_a_trained_epoch_has_a_finite_one()
    {
        await using var store = await ResultsStore.OpenAsync(await database.NewDatabaseAsync());
        var trial = await store.CreateTrialAsync(Make.Trial());
        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(0, valAccuracy: 0.1), []));
        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(1, valAccuracy: double.NaN), []));
        Assert.Null(await StoredBestAsync(store.ConnectionString, trial));

        // A lower loss at epoch 2 does not matter: outside a sweep the accuracy ranks.
        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(2, valAccuracy: 0.8, valLoss: 0.9), []));
        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(3, valAccuracy: 0.6, valLoss: 0.2), []));

        await AssertStoredFiguresAsync(store.ConnectionString, trial, "val_accuracy", maximize: true, (2, 0.8));
    }

    [Fact]
    public async Task A_retried_epoch_write_leaves_the_stored_best_as_it_was()
    {
        var (store, _, trial) = await SweepTrialAsync(await database.NewDatabaseAsync(), "val_accuracy", maximize: true);
        await using var __ = store;
        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(1, valAccuracy: 0.5), Make.SmallSnapshot()));
        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(2, valAccuracy: 0.6), Make.SmallSnapshot()));

        // The same epoch again, with figures that would be the best if they were written: nothing is.
        Assert.False(await store.WriteEpochAsync(trial, Make.Epoch(1, valAccuracy: 0.9), Make.SmallSnapshot()));

        await AssertStoredFiguresAsync(store.ConnectionString, trial, "val_accuracy", maximize: true, (2, 0.6));
    }

    [Fact]
    public async Task A_resumed_trial_that_trains_again_from_its_last_snapshot_keeps_the_best_of_the_epochs_it_has()
    {
        var (store, sweep, trial) = await SweepTrialAsync(await database.NewDatabaseAsync(), "val_loss", maximize: false, maxAttempts: 1);
        await using var _ = store;
        var first = (await store.ClaimTrialAsync(trial, "w1", Lease))!.Owner;
        Assert.True(await store.WriteEpochAsync(first, Make.Epoch(1, valLoss: 0.7), Make.SmallSnapshot(), []));
        Assert.True(await store.WriteEpochAsync(first, Make.Epoch(2, valLoss: 0.5), Make.SmallSnapshot(), []));
        // Epoch 3 diverged: recorded without a snapshot, so the next attempt resumes from epoch 2 and trains epoch 3 again.
        Assert.True(await store.WriteEpochAsync(first, Make.Epoch(3, valLoss: double.NaN), [], []));
        await store.EndAttemptAsync(first, "w1", TrialStatus.Failed, "interrupted");
        Assert.Equal(1, (await store.ResumeSweepAsync(sweep))!.Requeued);

        var second = (await store.ClaimTrialAsync(trial, "w2", Lease))!.Owner;
        Assert.Equal(2, await store.LatestSnapshotEpochAsync(trial));
        Assert.False(await store.WriteEpochAsync(second, Make.Epoch(3, valLoss: 0.1), Make.SmallSnapshot(), []));
        Assert.True(await store.WriteEpochAsync(second, Make.Epoch(4, valLoss: 0.3), Make.SmallSnapshot(), []));

        await AssertStoredFiguresAsync(store.ConnectionString, trial, "val_loss", maximize: false, (4, 0.3));
    }

    [Fact]
    public async Task Deleting_epoch_rows_moves_the_stored_best_to_the_best_of_those_left()
    {
        var (store, _, trial) = await SweepTrialAsync(await database.NewDatabaseAsync(), "val_accuracy", maximize: true);
        await using var __ = store;
        double[] accuracies = [0.1, 0.4, 0.8, 0.6, 0.8];
        for (var e = 0; e < accuracies.Length; e++) Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(e, valAccuracy: accuracies[e]), []));

        await Make.ExecuteAsync(store.ConnectionString, $"DELETE FROM epochs WHERE trial_id = {trial} AND epoch = 2");
        await AssertStoredFiguresAsync(store.ConnectionString, trial, "val_accuracy", maximize: true, (4, 0.8));

        await Make.ExecuteAsync(store.ConnectionString, $"UPDATE epochs SET val_accuracy = 'NaN' WHERE trial_id = {trial} AND epoch = 4");
        Assert.Equal((3, 0.6), await StoredBestAsync(store.ConnectionString, trial));

        await Make.ExecuteAsync(store.ConnectionString, $"DELETE FROM epochs WHERE trial_id = {trial} AND epoch > 0");
        await AssertStoredFiguresAsync(store.ConnectionString, trial, "val_accuracy", maximize: true, null);
    }

    [Fact]
    public async Task Pruning_snapshots_leaves_every_trials_stored_best_as_it_was()
    {
        var (store, sweep, trial) = await SweepTrialAsync(await database.NewDatabaseAsync(), "val_accuracy", maximize: true);
        await using var _ = store;
        double[] accuracies = [0.1, 0.5, 0.9, 0.7, 0.8];
        for (var e = 0; e < accuracies.Length; e++)
            Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(e, valAccuracy: accuracies[e]), Make.SmallSnapshot()));
        var claim = (await store.ClaimTrialAsync(trial, "w", Lease))!;
        await store.EndAttemptAsync(claim.Owner, "w", TrialStatus.Completed, null);

        var pruned = await store.PruneSnapshotsAsync(null, sweep, new PruneKeep(null, Best: false));

        Assert.True(pruned.EpochsWithoutWeights > 0); // the best epoch's weights went too
        Assert.DoesNotContain(2, await store.SnapshotEpochsAsync(trial));
        await AssertStoredFiguresAsync(store.ConnectionString, trial, "val_accuracy", maximize: true, (2, 0.9));
    }

    [Fact]
    public async Task Migration_0012_computes_the_best_of_trials_recorded_before_it()
    {
        // A database as 0011 left it, holding a minimising sweep's trial and a lone trial, with NaN epochs and ties.
        var connection = await database.NewDatabaseBeforeMigrationAsync(12);
        await Make.ExecuteAsync(connection,
            """
            INSERT INTO sweeps (name, metric, metric_goal) VALUES ('old', 'val_loss', 'minimize');
            INSERT INTO trials (sweep_id, architecture, architecture_spec, dataset, seed) VALUES
                (1, 'lenet-cifar', '{}', 'cifar10', 1), (NULL, 'lenet-cifar', '{}', 'cifar10', 2), (1, 'lenet-cifar', '{}', 'cifar10', 3);
            INSERT INTO epochs (trial_id, epoch, learning_rate, val_loss, val_accuracy, seconds, images_per_second) VALUES
                (1, 0, 0.1, 0.05, 0.1, 1, 1), (1, 1, 0.1, 'NaN', 0.2, 1, 1), (1, 2, 0.1, 0.3, 0.3, 1, 1), (1, 3, 0.1, 0.3, 0.4, 1, 1), (1, 4, 0.1, 0.6, 0.9, 1, 1),
                (2, 0, 0.1, 0.05, 0.9, 1, 1), (2, 1, 0.1, 0.9, 0.5, 1, 1), (2, 2, 0.1, 0.2, 'NaN', 1, 1), (2, 3, 0.1, 0.8, 0.5, 1, 1),
                (3, 0, 0.1, 0.05, 0.1, 1, 1), (3, 1, 0.1, 'NaN', 0.2, 1, 1)
            """);

        await using var store = await ResultsStore.OpenAsync(connection);

        Assert.Equal("0012_trial_best_and_epochs_trained", store.MigrationsApplied[0]);
        await AssertStoredFiguresAsync(connection, 1, "val_loss", maximize: false, (2, 0.3));
        await AssertStoredFiguresAsync(connection, 2, "val_accuracy", maximize: true, (1, 0.5));
        await AssertStoredFiguresAsync(connection, 3, "val_loss", maximize: false, null);
    }
}
