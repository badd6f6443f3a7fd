namespace Experiments.Store.Tests;

/// <summary>
/// A worker frozen past its lease wakes up after its trial was taken back and claimed again: every write it makes as
/// its old attempt (epoch, training context, heartbeat, end of attempt) is refused and changes nothing, while the
/// attempt that owns the trial now writes as usual (docs/cluster.md, "Fencing").
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FencingStaleAttempts(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private static readonly TrainingContext Context = new(9_000, 1_000, 2_000, "0123abcd", "node-7");

    /// <summary>A sweep trial claimed as attempt 1 by <paramref name="worker"/>, whose lease ran out, re-queued and claimed again as attempt 2.</summary>
    private static async Task<(ResultsStore Store, long Sweep, TrialAttempt Stale, TrialAttempt Current)> TakenBackAsync(string connection, string worker)
    {
        var store = await ResultsStore.OpenAsync(connection);
        var sweep = await store.CreateSweepAsync(new SweepDefinition("s", "{}", "synthetic", "val_accuracy", true, null, 3, 0, null),
            [new QueuedTrial(Make.Trial(), 0, "t0")]);
        var trial = (await store.GetSweepTrialsAsync(sweep)).Single().TrialId;
        var first = (await store.ClaimTrialAsync(trial, worker, TimeSpan.FromMilliseconds(1)))!;
        Assert.True(await store.WriteEpochAsync(first.Owner, Make.Epoch(0), Make.SmallSnapshot(), []));
        await Task.Delay(50);
        Assert.Equal([trial], (await store.ReclaimExpiredAsync()).Requeued);
        var second = (await store.ClaimTrialAsync(trial, worker, Lease))!;
        Assert.Equal((1, 2), (first.Attempt, second.Attempt));
        return (store, sweep, first.Owner, second.Owner);
    }

    private static async Task<(string Status, int Attempts, DateTimeOffset Heartbeat, DateTimeOffset Lease, string Host)> RowAsync(ResultsStore store, long trial)
    {
        await using var connection = new Npgsql.NpgsqlConnection(store.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT status, attempts, heartbeat_at, lease_expires_at, coalesce(host, '') FROM trials WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", trial);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
    }

    [Fact]
    public async Task Every_write_of_an_attempt_whose_trial_was_taken_back_is_refused_and_changes_nothing()
    {
        // The same worker name claimed both attempts (a worker that claimed the trial again): the attempt, not the name, fences.
        var (store, _, stale, _) = await TakenBackAsync(await database.NewDatabaseAsync(), "w1");
        await using var __ = store;
        var before = await RowAsync(store, stale.TrialId);
        await Task.Delay(20); // so that a heartbeat or lease renewal would show as a later time

        var epoch = await Assert.ThrowsAsync<TrialFencedException>(() => store.WriteEpochAsync(stale, Make.Epoch(1), Make.SmallSnapshot(), []));
        Assert.Equal(stale, epoch.Attempt);
        Assert.Contains("attempt 1 no longer owns it (it is running at attempt 2)", epoch.Message);
        await Assert.ThrowsAsync<TrialFencedException>(() => store.RecordTrainingContextAsync(stale, Context));
        var beat = await store.HeartbeatAsync(new WorkerHeartbeat("w1", "host", 1, 0, 1, [stale]), Lease);
        Assert.Equal([stale.TrialId], beat.Lost);
        Assert.Null(await store.EndAttemptAsync(stale, "w1", TrialStatus.Completed, null));
        Assert.Null(await store.EndAttemptAsync(stale, "w1", TrialStatus.Failed, "woke up and crashed"));

        Assert.Equal(before, await RowAsync(store, stale.TrialId)); // status, attempts, heartbeat, lease and context untouched
        Assert.Equal(0, (await store.GetEpochsAsync(stale.TrialId)).Single().Epoch);
        Assert.Equal(0, await Make.ScalarAsync(store.ConnectionString, $"SELECT count(*) FROM weight_tensors WHERE trial_id = {stale.TrialId} AND epoch = 1"));
        // The worker's own heartbeat row is written (it is alive), but names no trial: it heartbeats nothing it lost.
        Assert.Equal(0, await Make.ScalarAsync(store.ConnectionString,
            "SELECT coalesce(cardinality(trial_ids), -1) FROM worker_heartbeats WHERE worker = 'w1' ORDER BY at DESC LIMIT 1"));
    }

    [Fact]
    public async Task The_attempt_that_owns_the_trial_now_writes_epochs_heartbeats_and_its_end_as_usual()
    {
        var (store, sweep, _, current) = await TakenBackAsync(await database.NewDatabaseAsync(), "w1");
        await using var __ = store;
        var before = await RowAsync(store, current.TrialId);
        await Task.Delay(20);

        await store.RecordTrainingContextAsync(current, Context);
        Assert.True(await store.WriteEpochAsync(current, Make.Epoch(1), Make.SmallSnapshot(), []));
        var beat = await store.HeartbeatAsync(new WorkerHeartbeat("w1", "host", 1, 0, 1, [current]), Lease);
        Assert.Empty(beat.Lost);
        var renewed = await RowAsync(store, current.TrialId);
        Assert.True(renewed.Heartbeat > before.Heartbeat && renewed.Lease > before.Lease);
        Assert.Equal("node-7", renewed.Host);
        Assert.Equal(1, await Make.ScalarAsync(store.ConnectionString,
            $"SELECT cardinality(trial_ids) FROM worker_heartbeats WHERE worker = 'w1' AND {current.TrialId} = ANY(trial_ids)"));

        Assert.Equal(TrialStatus.Completed, await store.EndAttemptAsync(current, "w1", TrialStatus.Completed, null));
        Assert.Equal([0, 1], (await store.GetEpochsAsync(current.TrialId)).Select(e => e.Epoch));
        // Once ended, the owner is fenced too: nothing can be written to a finished trial as that attempt.
        await Assert.ThrowsAsync<TrialFencedException>(() => store.WriteEpochAsync(current, Make.Epoch(2), Make.SmallSnapshot(), []));
        Assert.Equal(TrialStatus.Completed, (await store.GetSweepTrialsAsync(sweep)).Single().Status);
    }

    [Fact]
    public async Task An_attempt_from_before_a_resume_is_fenced_though_the_trial_runs_again_under_the_same_worker()
    {
        // sweep resume used to reset attempts to 0, so the attempt after a resume could carry the same number as a stale one.
        await using var store = await ResultsStore.OpenAsync(await database.NewDatabaseAsync());
        var sweep = await store.CreateSweepAsync(new SweepDefinition("s", "{}", "synthetic", "val_accuracy", true, null, 1, 0, null),
            [new QueuedTrial(Make.Trial(), 0, "t0")]);
        var trial = (await store.GetSweepTrialsAsync(sweep)).Single().TrialId;
        var frozen = (await store.ClaimTrialAsync(trial, "w1", TimeSpan.FromMilliseconds(1)))!.Owner;
        await Task.Delay(50);
        Assert.Equal([trial], (await store.ReclaimExpiredAsync()).Failed); // out of attempts
        await store.ResumeSweepAsync(sweep);
        var resumed = (await store.ClaimTrialAsync(trial, "w1", Lease))!.Owner;

        Assert.Equal(2, resumed.Attempt);
        await Assert.ThrowsAsync<TrialFencedException>(() => store.WriteEpochAsync(frozen, Make.Epoch(0), Make.SmallSnapshot(), []));
        Assert.True(await store.WriteEpochAsync(resumed, Make.Epoch(0), Make.SmallSnapshot(), []));
    }
}
