using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Experiments.Store.Tests;

[Collection(PostgresCollection.Name)]
public sealed class ApplyingMigrations(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task Every_migration_applies_to_an_empty_database_and_creates_every_table_and_view()
    {
        var connectionString = await database.NewDatabaseAsync();
        await using var store = await ResultsStore.OpenAsync(connectionString);

        Assert.Equal(SchemaMigrator.Embedded.Select(m => m.Name), store.MigrationsApplied);
        foreach (var relation in new[] { "sweeps", "trials", "epochs", "weight_tensors", "epoch_artifacts", "workers",
                     "worker_heartbeats", "schema_migrations", "trial_summary", "epoch_metrics_long" })
            Assert.Equal(1, await Make.ScalarAsync(connectionString, $"SELECT count(*) FROM pg_class WHERE relname = '{relation}'"));
        Assert.Equal(SchemaMigrator.Embedded.Count, await Make.ScalarAsync(connectionString, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Migration_0004_gives_a_spec_stored_with_a_built_ins_default_input_the_input_the_trial_trained_on()
    {
        // A database as 0003 left it, holding an ffnn-100 trial trained on MNIST whose spec kept the 3×32×32 default.
        var connectionString = await database.NewDatabaseBeforeMigrationAsync(4);
        await Make.ExecuteAsync(connectionString,
            """
            INSERT INTO trials (architecture, architecture_spec, dataset, hyperparameters, seed) VALUES
                ('ffnn-100', '{"name": "ffnn-100", "input": [3, 32, 32], "layers": [{"type": "flatten"}, {"type": "linear", "out": 10, "bias": true}]}',
                 'mnist', '{"lr": 0.001, "input": [1, 28, 28]}', 1),
                ('old', '{"name": "old", "input": [3, 32, 32], "layers": [{"type": "flatten"}, {"type": "linear", "out": 10, "bias": true}]}',
                 'cifar10', '{"lr": 0.001}', 1)
            """);

        await using var store = await ResultsStore.OpenAsync(connectionString);

        // 0004 and whatever later migrations there are.
        Assert.Equal(SchemaMigrator.Embedded.Where(m => m.Version >= 4).Select(m => m.Name), store.MigrationsApplied);
        Assert.Equal("0004_what_a_trial_trained_on", store.MigrationsApplied[0]);
        var trained = JsonNode.Parse((await store.GetArchitectureSpecAsync(1))!)!;
        var unrecorded = JsonNode.Parse((await store.GetArchitectureSpecAsync(2))!)!;
        Assert.Equal([1, 28, 28], trained["input"]!.AsArray().Select(d => (int)d!));
        Assert.Equal(2, trained["layers"]!.AsArray().Count);
        Assert.Equal([3, 32, 32], unrecorded["input"]!.AsArray().Select(d => (int)d!)); // no recorded input: left as it was
    }

    [Fact]
    public async Task Reopening_applies_nothing_and_keeps_the_data()
    {
        long trial;
        await using (var first = await ResultsStore.OpenAsync(database.ConnectionString))
        {
            trial = await first.CreateTrialAsync(Make.Trial());
            Assert.True(await first.WriteEpochAsync(trial, Make.Epoch(0), Make.SmallSnapshot()));
        }

        await using var second = await ResultsStore.OpenAsync(database.ConnectionString);

        Assert.Empty(second.MigrationsApplied);
        Assert.Equal(0, await second.LatestEpochAsync(trial));
        Assert.Equal(SchemaMigrator.Embedded.Count, await Make.ScalarAsync(database.ConnectionString, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Concurrent_openers_of_an_empty_database_apply_the_schema_exactly_once()
    {
        var connectionString = await database.NewDatabaseAsync();

        var stores = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => ResultsStore.OpenAsync(connectionString))));
        try
        {
            Assert.Single(stores, s => s.MigrationsApplied.Count == SchemaMigrator.Embedded.Count);
            Assert.Equal(5, stores.Count(s => s.MigrationsApplied.Count == 0));
            Assert.Equal(SchemaMigrator.Embedded.Count, await Make.ScalarAsync(connectionString, "SELECT count(*) FROM schema_migrations"));
        }
        finally
        {
            foreach (var store in stores) await store.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_ef_core_model_matches_the_hand_written_schema()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        await using var db = store.CreateDbContext();

        // Each query fails if a mapped column or relation is missing from the SQL schema.
        _ = await db.Sweeps.ToListAsync();
        _ = await db.Trials.ToListAsync();
        _ = await db.Epochs.ToListAsync();
        _ = await db.WeightTensors.ToListAsync();
        _ = await db.EpochArtifacts.ToListAsync();
        _ = await db.Workers.ToListAsync();
        _ = await db.WorkerHeartbeats.ToListAsync();
        _ = await db.TrialSummaries.ToListAsync();
        _ = await db.EpochMetrics.ToListAsync();
    }
}
