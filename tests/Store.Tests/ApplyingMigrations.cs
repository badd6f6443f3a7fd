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
