using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Experiments.Store.Tests;

/// <summary>
/// A writer frozen in the middle of its transaction (SIGSTOP, a partition) must not block everyone else for the whole
/// freeze: epoch writes give up after their lock and statement timeouts with a clear error, the server ends a session
/// left idle in a transaction, and the coordinator's reclaim skips a row a write still holds (docs/cluster.md, "Timeouts").
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BoundingEpochWritesInTime(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private static async Task<(ResultsStore Store, TrialAttempt Owner)> ClaimedAsync(string connection, ResultsStoreOptions? options = null, TimeSpan? lease = null)
    {
        var store = await ResultsStore.OpenAsync(connection, options);
        var sweep = await store.CreateSweepAsync(new SweepDefinition("s", "{}", "synthetic", "val_accuracy", true, null, 3, 0, null),
            [new QueuedTrial(Make.Trial(), 0, "t0")]);
        var trial = (await store.GetSweepTrialsAsync(sweep)).Single().TrialId;
        return (store, (await store.ClaimTrialAsync(trial, "w1", lease ?? Lease))!.Owner);
    }

    /// <summary>An open transaction on its own connection that holds the trial's row, as a writer frozen mid-transaction does.</summary>
    private static async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> HoldRowAsync(string connectionString, long trial, string mode)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand($"SELECT 1 FROM trials WHERE id = {trial} {mode}", connection, transaction);
        await command.ExecuteNonQueryAsync();
        return (connection, transaction);
    }

    [Fact]
    public async Task An_epoch_write_blocked_by_a_transaction_holding_its_trial_fails_within_the_lock_timeout_with_a_clear_error()
    {
        var connection = await database.NewDatabaseAsync();
        var (store, owner) = await ClaimedAsync(connection, new ResultsStoreOptions { EpochWriteLockTimeout = TimeSpan.FromSeconds(1) });
        await using var _ = store;
        var (holder, transaction) = await HoldRowAsync(connection, owner.TrialId, "FOR UPDATE");

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<EpochWriteTimeoutException>(() => store.WriteEpochAsync(owner, Make.Epoch(0), Make.SmallSnapshot(), []));
        clock.Stop();

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(6)); // waited out the lock timeout, once: not retried
        Assert.Equal($"trial {owner.TrialId}: epoch 0 was not written: another transaction held the trial's rows for over the 1 s lock timeout (a writer frozen mid-write?)",
            error.Message);
        await transaction.RollbackAsync();
        await holder.DisposeAsync();
        Assert.True(await store.WriteEpochAsync(owner, Make.Epoch(0), Make.SmallSnapshot(), []));
    }

    [Fact]
    public async Task A_writer_frozen_mid_copy_blocks_a_second_write_of_the_same_epoch_only_for_the_lock_timeout()
    {
        var connection = await database.NewDatabaseAsync();
        var (frozen, owner) = await ClaimedAsync(connection);
        await using var _ = frozen;
        await using var other = await ResultsStore.OpenAsync(connection, new ResultsStoreOptions { EpochWriteLockTimeout = TimeSpan.FromSeconds(1) });
        var copying = new TaskCompletionSource();
        var thaw = new TaskCompletionSource();
        frozen.AfterTensorCopied = async (i, _) =>
        {
            if (i != 1) return;
            copying.TrySetResult();
            await thaw.Task;
        };
        var frozenWrite = frozen.WriteEpochAsync(owner, Make.Epoch(1), Make.SmallSnapshot(), []);
        await copying.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<EpochWriteTimeoutException>(() => other.WriteEpochAsync(owner, Make.Epoch(1), Make.SmallSnapshot(), []));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(6));
        Assert.Contains("lock timeout", error.Message);

        thaw.SetResult();
        Assert.True(await frozenWrite);
        Assert.Equal(1, await Make.ScalarAsync(connection, $"SELECT count(*) FROM epochs WHERE trial_id = {owner.TrialId} AND epoch = 1"));
    }

    [Fact]
    public async Task A_writer_frozen_mid_copy_past_the_statement_timeout_has_its_write_ended_by_the_server_and_leaves_nothing()
    {
        var connection = await database.NewDatabaseAsync();
        var (store, owner) = await ClaimedAsync(connection, new ResultsStoreOptions { EpochWriteStatementTimeout = TimeSpan.FromSeconds(1) });
        await using var _ = store;
        var frozenOnce = false;
        store.AfterTensorCopied = async (i, ct) =>
        {
            if (i != 1 || frozenOnce) return;
            frozenOnce = true;
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
        };

        var error = await Assert.ThrowsAsync<EpochWriteTimeoutException>(() => store.WriteEpochAsync(owner, Make.Epoch(0), Make.SmallSnapshot(), []));

        Assert.Contains("ran past the 1 s statement timeout", error.Message);
        Assert.Equal(-1, await store.LatestEpochAsync(owner.TrialId));
        Assert.Equal(0, await Make.ScalarAsync(connection, $"SELECT count(*) FROM weight_tensors WHERE trial_id = {owner.TrialId}"));
    }

    [Fact]
    public async Task The_server_ends_a_store_session_left_idle_in_a_transaction_and_frees_the_rows_it_held()
    {
        var connection = await database.NewDatabaseAsync();
        var (store, owner) = await ClaimedAsync(connection, new ResultsStoreOptions { IdleInTransactionTimeout = TimeSpan.FromSeconds(1) });
        await using var _ = store;
        await using var db = store.CreateDbContext();
        var session = (NpgsqlConnection)db.Database.GetDbConnection();
        await session.OpenAsync();
        await using var transaction = await session.BeginTransactionAsync();
        int pid;
        await using (var hold = new NpgsqlCommand($"SELECT pg_backend_pid() FROM trials WHERE id = {owner.TrialId} FOR UPDATE", session, transaction))
            pid = (int)(await hold.ExecuteScalarAsync())!;

        await Task.Delay(TimeSpan.FromSeconds(3)); // frozen between two statements of its transaction

        Assert.Equal(0, await Make.ScalarAsync(connection, $"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}"));
        await using var other = await ResultsStore.OpenAsync(connection, new ResultsStoreOptions { EpochWriteLockTimeout = TimeSpan.FromSeconds(1) });
        Assert.True(await other.WriteEpochAsync(owner, Make.Epoch(0), Make.SmallSnapshot(), []));
    }

    [Fact]
    public async Task Every_store_session_carries_the_default_idle_in_transaction_timeout()
    {
        await using var store = await ResultsStore.OpenAsync(await database.NewDatabaseAsync());
        await using var db = store.CreateDbContext();
        var session = db.Database.GetDbConnection();
        await session.OpenAsync();
        await using var show = session.CreateCommand();
        show.CommandText = "SHOW idle_in_transaction_session_timeout";
        Assert.Equal("10s", await show.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Reclaiming_expired_leases_skips_a_trial_whose_epoch_write_is_in_flight_instead_of_waiting_for_it()
    {
        var connection = await database.NewDatabaseAsync();
        var (store, owner) = await ClaimedAsync(connection, lease: TimeSpan.FromMilliseconds(1));
        await using var _ = store;
        await Task.Delay(50);
        // What the fence of an epoch write holds until it commits.
        var (holder, transaction) = await HoldRowAsync(connection, owner.TrialId, "FOR SHARE");

        var clock = Stopwatch.StartNew();
        var skipped = await store.ReclaimExpiredAsync();
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Empty(skipped.Requeued);

        await transaction.RollbackAsync();
        await holder.DisposeAsync();
        Assert.Equal([owner.TrialId], (await store.ReclaimExpiredAsync()).Requeued);
    }
}
