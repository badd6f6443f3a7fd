namespace Experiments.Store.Tests;

/// <summary>
/// The sweep life cycle as the database enforces it: claims are exclusive, dispatch respects max_concurrent, expired
/// leases come back to the queue (or fail past max_attempts), only a trial's owner can end it, cancel and resume.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RunningSweepTrials(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5), Redispatch = TimeSpan.FromMinutes(1);

    private static async Task<(ResultsStore Store, long Sweep, long[] Trials)> SweepAsync(string connection, int trials, int? maxConcurrent = null, int maxAttempts = 2)
    {
        var store = await ResultsStore.OpenAsync(connection);
        var sweep = await store.CreateSweepAsync(
            new SweepDefinition("s", "{}", "synthetic", "val_accuracy", true, maxConcurrent, maxAttempts, 0, null),
            [.. Enumerable.Range(0, trials).Select(i => new QueuedTrial(Make.Trial(), i, $"t{i}"))]);
        var ids = (await store.GetSweepTrialsAsync(sweep)).Select(t => t.TrialId).ToArray();
        return (store, sweep, ids);
    }

    [Fact]
    public async Task A_sweep_and_its_trials_are_written_together_and_queued_in_index_order()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 3);
        await using var _ = store;
        var rows = await store.GetSweepTrialsAsync(sweep);
        Assert.Equal([0, 1, 2], rows.Select(r => r.Index!.Value));
        Assert.All(rows, r => Assert.Equal(TrialStatus.Queued, r.Status));
        Assert.Equal(3, (await store.GetSweepAsync(sweep))!.Count(TrialStatus.Queued));
        Assert.Equal(3, trials.Length);
    }

    [Fact]
    public async Task Only_one_of_many_concurrent_claims_of_a_trial_wins()
    {
        var (store, _, trials) = await SweepAsync(await database.NewDatabaseAsync(), 1);
        await using var __ = store;
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.ClaimTrialAsync(trials[0], $"w{i}", Lease)));
        var winner = Assert.Single(claims, c => c is not null)!;
        Assert.Equal(1, winner.Attempt);
        var row = (await store.GetSweepTrialsAsync(winner.SweepId!.Value)).Single();
        Assert.Equal(TrialStatus.Running, row.Status);
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task A_cpu_only_worker_cannot_claim_a_trial_that_asks_for_a_gpu_and_a_gpu_worker_can()
    {
        await using var store = await ResultsStore.OpenAsync(await database.NewDatabaseAsync());
        var sweep = await store.CreateSweepAsync(new SweepDefinition("gpu", "{}", "synthetic", "val_accuracy", true, null, 2, 0.5, null),
            [new QueuedTrial(Make.Trial(), 0, "t0")]);
        var trial = (await store.GetSweepTrialsAsync(sweep)).Single().TrialId;
        Assert.Null(await store.ClaimTrialAsync(trial, "cpu-worker", Lease, workerGpus: 0));
        Assert.Equal(TrialStatus.Queued, (await store.GetSweepTrialsAsync(sweep)).Single().Status);
        Assert.NotNull(await store.ClaimTrialAsync(trial, "gpu-worker", Lease, workerGpus: 1));
    }

    [Fact]
    public async Task Dispatch_never_puts_more_than_max_concurrent_in_flight_even_from_concurrent_coordinators()
    {
        var (store, sweep, _) = await SweepAsync(await database.NewDatabaseAsync(), 10, maxConcurrent: 3);
        await using var __ = store;
        var picked = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.DispatchAsync(sweep, limit: 100, Redispatch)));
        Assert.Equal(3, picked.Sum(p => p.Count));
        Assert.Equal(3, picked.SelectMany(p => p).Distinct().Count());
        Assert.Empty(await store.DispatchAsync(sweep, 100, Redispatch)); // nothing more until one ends
        // Capacity also bounds it: limit 0 picks nothing.
        Assert.Empty(await store.DispatchAsync(sweep, 0, Redispatch));
    }

    [Fact]
    public async Task A_worker_claiming_for_its_freed_slot_takes_the_sweeps_next_queued_trial_but_never_past_max_concurrent()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 3, maxConcurrent: 1);
        await using var _ = store;
        var first = (await store.ClaimTrialAsync(trials[0], "w1", Lease))!;

        Assert.Null(await store.ClaimNextTrialAsync(sweep, "w2", Lease, 0, SweepDrivers.Cluster, Redispatch));
        await store.EndAttemptAsync(first.Owner, "w1", TrialStatus.Completed, null);
        var next = await store.ClaimNextTrialAsync(sweep, "w1", Lease, 0, SweepDrivers.Cluster, Redispatch);

        Assert.Equal((trials[1], 1), (next!.TrialId, next.Attempt));
        var rows = await store.GetSweepTrialsAsync(sweep);
        Assert.Equal([TrialStatus.Completed, TrialStatus.Running, TrialStatus.Queued], rows.Select(r => r.Status));
        Assert.Equal("w1", rows[1].Worker);
    }

    [Fact]
    public async Task A_worker_claiming_for_itself_leaves_a_trial_a_coordinator_is_starting_to_that_start_and_counts_it_in_flight()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 3, maxConcurrent: 2);
        await using var _ = store;
        // The coordinator's pick, on its way to another worker's grain.
        Assert.Equal([trials[0]], await store.DispatchAsync(sweep, 1, redispatchAfter: TimeSpan.Zero));

        Assert.Equal(trials[1], (await store.ClaimNextTrialAsync(sweep, "w1", Lease, 0, SweepDrivers.Cluster, Redispatch))!.TrialId);
        // Trial 1 running and trial 0 being started make max_concurrent.
        Assert.Null(await store.ClaimNextTrialAsync(sweep, "w2", Lease, 0, SweepDrivers.Cluster, Redispatch));
        Assert.NotNull(await store.ClaimTrialAsync(trials[0], "w3", Lease));
    }

    [Fact]
    public async Task A_worker_claims_no_next_trial_of_a_cancelled_sweep_of_another_driver_or_asking_for_a_gpu_it_lacks()
    {
        await using var store = await ResultsStore.OpenAsync(await database.NewDatabaseAsync());
        var gpuSweep = await store.CreateSweepAsync(new SweepDefinition("gpu", "{}", "synthetic", "val_accuracy", true, null, 2, 0.5, null),
            [new QueuedTrial(Make.Trial(), 0, "t0")]);
        var processSweep = await store.CreateSweepAsync(
            new SweepDefinition("here", "{}", "synthetic", "val_accuracy", true, null, 2, 0, null, Driver: SweepDrivers.InProcess("laptop/7")),
            [new QueuedTrial(Make.Trial(), 0, "t0")]);
        var cancelled = await store.CreateSweepAsync(new SweepDefinition("cancelled", "{}", "synthetic", "val_accuracy", true, null, 2, 0, null),
            [new QueuedTrial(Make.Trial(), 0, "t0")]);
        await store.CancelSweepAsync(cancelled);

        Assert.Null(await store.ClaimNextTrialAsync(gpuSweep, "cpu-worker", Lease, workerGpus: 0, SweepDrivers.Cluster, Redispatch));
        Assert.Null(await store.ClaimNextTrialAsync(processSweep, "cluster-worker", Lease, 0, SweepDrivers.Cluster, Redispatch));
        Assert.Null(await store.ClaimNextTrialAsync(cancelled, "cluster-worker", Lease, 0, SweepDrivers.Cluster, Redispatch));
        Assert.NotNull(await store.ClaimNextTrialAsync(gpuSweep, "gpu-worker", Lease, workerGpus: 1, SweepDrivers.Cluster, Redispatch));
        Assert.NotNull(await store.ClaimNextTrialAsync(processSweep, "laptop/7", Lease, 0, SweepDrivers.InProcess("laptop/7"), Redispatch));
    }

    [Fact]
    public async Task A_published_trial_that_nobody_claimed_is_published_again_after_the_redispatch_interval()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 1);
        await using var __ = store;
        Assert.Equal(trials, await store.DispatchAsync(sweep, 10, Redispatch));
        Assert.Empty(await store.DispatchAsync(sweep, 10, Redispatch));
        Assert.Equal(trials, await store.DispatchAsync(sweep, 10, TimeSpan.Zero)); // "lost" message: picked again
    }

    [Fact]
    public async Task An_expired_lease_re_queues_the_trial_and_past_max_attempts_fails_it_with_the_reason()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 1, maxAttempts: 2);
        await using var __ = store;
        Assert.NotNull(await store.ClaimTrialAsync(trials[0], "dead-worker", TimeSpan.FromMilliseconds(1)));
        await Task.Delay(50);
        var first = await store.ReclaimExpiredAsync();
        Assert.Equal(trials, first.Requeued);
        var row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal(TrialStatus.Queued, row.Status);
        Assert.Contains("dead-worker stopped heartbeating during attempt 1 of 2", row.Error);

        var second = await store.ClaimTrialAsync(trials[0], "another-dead-worker", TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, second!.Attempt);
        await Task.Delay(50);
        var last = await store.ReclaimExpiredAsync();
        Assert.Equal(trials, last.Failed);
        row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal(TrialStatus.Failed, row.Status);
        Assert.Contains("attempt 2 of 2", row.Error);
        Assert.Null(await store.ClaimTrialAsync(trials[0], "w", Lease));
    }

    [Fact]
    public async Task A_worker_declared_dead_has_its_trials_re_queued_at_once_while_their_leases_still_run_and_only_once()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 3, maxAttempts: 2);
        await using var __ = store;
        var dead = (await store.ClaimTrialAsync(trials[0], "dead/1", Lease))!.Owner;
        await store.ClaimTrialAsync(trials[1], "live/2", Lease);

        var taken = await store.ReclaimFromDeadWorkerAsync("dead/1");

        Assert.Equal([trials[0]], taken.Requeued);
        Assert.Equal([sweep], taken.Sweeps);
        var rows = (await store.GetSweepTrialsAsync(sweep)).ToDictionary(t => t.TrialId);
        Assert.Equal(TrialStatus.Queued, rows[trials[0]].Status);
        Assert.Contains("worker dead/1 was declared dead by the cluster during attempt 1 of 2", rows[trials[0]].Error);
        Assert.Equal((TrialStatus.Running, "live/2"), (rows[trials[1]].Status, rows[trials[1]].Worker)); // another worker's trial is not touched
        Assert.Equal(TrialStatus.Queued, rows[trials[2]].Status);
        // The attempt taken back is fenced: its heartbeat names the trial as lost.
        Assert.Equal([trials[0]], (await store.HeartbeatAsync(new WorkerHeartbeat("dead/1", "host", 1, 0, 1, [dead]), Lease)).Lost);

        // Claimed again by a live worker, it is that worker's now: another coordinator repeating the take-back changes nothing.
        Assert.Equal(2, (await store.ClaimTrialAsync(trials[0], "live/3", Lease))!.Attempt);
        var again = await store.ReclaimFromDeadWorkerAsync("dead/1");
        Assert.Empty(again.Requeued.Concat(again.Failed).Concat(again.Cancelled));
        Assert.Equal((TrialStatus.Running, "live/3"), (await store.GetSweepTrialsAsync(sweep)).Single(t => t.TrialId == trials[0]) is var row ? (row.Status, row.Worker) : default);
    }

    [Fact]
    public async Task Heartbeats_renew_leases_report_cancellations_and_name_trials_the_worker_lost()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 2);
        await using var __ = store;
        var lost = (await store.ClaimTrialAsync(trials[0], "w1", TimeSpan.FromMilliseconds(1)))!.Owner;
        var kept = (await store.ClaimTrialAsync(trials[1], "w1", Lease))!.Owner;
        await Task.Delay(50);
        Assert.Equal(trials[..1], (await store.ReclaimExpiredAsync()).Requeued); // trial 0 taken back from w1

        Assert.Equal(SweepStatus.Cancelled, await store.CancelSweepAsync(sweep));
        var reply = await store.HeartbeatAsync(new WorkerHeartbeat("w1", "host", 2, 0, 1, [lost, kept]), Lease);
        Assert.Equal([trials[1]], reply.CancelRequested);
        Assert.Equal([trials[0]], reply.Lost);
        // The queued one was cancelled at once; the running one ends when its worker stops it.
        Assert.Equal(TrialStatus.Cancelled, (await store.GetSweepTrialsAsync(sweep))[0].Status);
        Assert.Equal(TrialStatus.Cancelled, await store.EndAttemptAsync(kept, "w1", TrialStatus.Cancelled, "stopped"));
        Assert.Equal(1, (await store.CapacityAsync(TimeSpan.FromMinutes(1))).Workers);
    }

    [Fact]
    public async Task Only_the_owner_can_end_an_attempt_and_a_failed_attempt_is_retried_while_attempts_remain()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 1, maxAttempts: 2);
        await using var __ = store;
        var first = (await store.ClaimTrialAsync(trials[0], "owner", Lease))!.Owner;
        Assert.Null(await store.EndAttemptAsync(first, "someone-else", TrialStatus.Completed, null));
        Assert.Equal(TrialStatus.Queued, await store.EndAttemptAsync(first, "owner", TrialStatus.Failed, "out of memory"));
        var row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal((TrialStatus.Queued, "out of memory"), (row.Status, row.Error));

        var second = (await store.ClaimTrialAsync(trials[0], "owner", Lease))!.Owner;
        Assert.Equal(TrialStatus.Failed, await store.EndAttemptAsync(second, "owner", TrialStatus.Failed, "out of memory again"));
        row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal((TrialStatus.Failed, 2), (row.Status, row.Attempts));
        Assert.Equal([sweep], await store.CompleteFinishedSweepsAsync());
        // The queue wait of the last attempt is measured from when it was re-queued, never negative.
        Assert.Equal(0, await Make.ScalarAsync(store.ConnectionString, "SELECT count(*) FROM trials WHERE started_at < queued_at"));
        Assert.Equal(SweepStatus.Completed, (await store.GetSweepAsync(sweep))!.Status);
    }

    [Fact]
    public async Task Resume_re_queues_failed_cancelled_and_interrupted_trials_and_keeps_finished_ones()
    {
        var (store, sweep, t) = await SweepAsync(await database.NewDatabaseAsync(), 5, maxAttempts: 1);
        await using var __ = store;
        foreach (var (id, status) in new[] { (t[0], TrialStatus.Completed), (t[1], TrialStatus.Failed), (t[2], TrialStatus.Diverged), (t[3], TrialStatus.StoppedEarly) })
        {
            var claim = (await store.ClaimTrialAsync(id, "w", Lease))!;
            await store.EndAttemptAsync(claim.Owner, "w", status, null);
        }
        await store.ClaimTrialAsync(t[4], "crashed", TimeSpan.FromMilliseconds(1)); // interrupted: lease ran out, nobody reclaimed it
        await Task.Delay(50);

        Assert.Equal(2, (await store.ResumeSweepAsync(sweep))!.Requeued);
        var rows = await store.GetSweepTrialsAsync(sweep);
        Assert.Equal([TrialStatus.Completed, TrialStatus.Queued, TrialStatus.Diverged, TrialStatus.StoppedEarly, TrialStatus.Queued], rows.Select(r => r.Status));
        Assert.Equal((1, 1), (rows[1].Attempts, rows[1].AttemptsBeforeResume)); // the start it had is kept, and its budget is fresh
        Assert.Null(await store.ResumeSweepAsync(sweep + 1000));
    }

    [Fact]
    public async Task A_resumed_trial_keeps_counting_its_starts_and_is_given_a_fresh_budget_of_attempts()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 1, maxAttempts: 2);
        await using var __ = store;
        for (var i = 0; i < 2; i++)
        {
            var claim = (await store.ClaimTrialAsync(trials[0], "w", Lease))!;
            await store.EndAttemptAsync(claim.Owner, "w", TrialStatus.Failed, "out of memory");
        }
        Assert.Equal((TrialStatus.Failed, 2), ((await store.GetSweepTrialsAsync(sweep)).Single() is var failed ? (failed.Status, failed.Attempts) : default));

        await store.ResumeSweepAsync(sweep);
        var third = (await store.ClaimTrialAsync(trials[0], "w", Lease))!;
        Assert.Equal((3, 1, 2), (third.Attempt, third.AttemptInBudget, third.MaxAttempts));
        var row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal((TrialStatus.Running, 3, 2), (row.Status, row.Attempts, row.AttemptsBeforeResume));

        // The fresh budget: a failure now is retried (1 of 2), where before the resume it would have been final.
        Assert.Equal(TrialStatus.Queued, await store.EndAttemptAsync(third.Owner, "w", TrialStatus.Failed, "out of memory"));
        await store.ClaimTrialAsync(trials[0], "dead-worker", TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.Equal(trials, (await store.ReclaimExpiredAsync()).Failed);
        row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal((TrialStatus.Failed, 4), (row.Status, row.Attempts));
        Assert.Contains("during attempt 2 of 2", row.Error);
        // The trial_summary view (results list/show) counts every start too.
        Assert.Equal(4, (await store.GetTrialAsync(trials[0]))!.Attempts);
    }

    [Fact]
    public async Task A_cancelled_trial_whose_worker_shuts_down_before_its_next_heartbeat_is_recorded_as_cancelled_not_failed()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 1, maxAttempts: 3);
        await using var __ = store;
        var claim = (await store.ClaimTrialAsync(trials[0], "w", Lease))!;
        Assert.Equal(SweepStatus.Cancelled, await store.CancelSweepAsync(sweep));

        // The worker never saw the cancel: it was stopping and reports the attempt as interrupted.
        Assert.Equal(TrialStatus.Cancelled, await store.EndAttemptAsync(claim.Owner, "w", TrialStatus.Failed, "interrupted: worker w stopped"));
        var row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal(TrialStatus.Cancelled, row.Status);
        Assert.StartsWith("cancelled by the user", row.Error);
        Assert.Equal(1, (await store.GetSweepAsync(sweep))!.Count(TrialStatus.Cancelled));
    }

    [Fact]
    public async Task A_cancelled_trial_whose_worker_died_is_cancelled_when_its_lease_runs_out_not_re_queued()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 1, maxAttempts: 3);
        await using var __ = store;
        await store.ClaimTrialAsync(trials[0], "dead-worker", TimeSpan.FromMilliseconds(1));
        Assert.Equal(SweepStatus.Cancelled, await store.CancelSweepAsync(sweep));
        await Task.Delay(50);

        var reclaimed = await store.ReclaimExpiredAsync();
        Assert.Equal(trials, reclaimed.Cancelled);
        Assert.Empty(reclaimed.Requeued);
        Assert.Empty(reclaimed.Failed);
        var row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal(TrialStatus.Cancelled, row.Status);
        Assert.Contains("cancelled by the user", row.Error);
    }

    [Fact]
    public async Task Resume_says_how_many_trials_still_hold_a_lease_and_until_when()
    {
        var (store, sweep, trials) = await SweepAsync(await database.NewDatabaseAsync(), 3, maxAttempts: 1);
        await using var __ = store;
        await store.ClaimTrialAsync(trials[0], "w", Lease);
        await store.ClaimTrialAsync(trials[1], "w", Lease);
        await store.CancelSweepAsync(sweep);

        var resumed = (await store.ResumeSweepAsync(sweep))!;
        Assert.Equal(1, resumed.Requeued); // trial 2 was cancelled while queued
        Assert.Equal(2, resumed.StillLeased);
        var leasedUntil = Assert.IsType<DateTimeOffset>(resumed.LeasedUntil);
        Assert.InRange(leasedUntil - DateTimeOffset.UtcNow, Lease - TimeSpan.FromMinutes(1), Lease);
    }
}
