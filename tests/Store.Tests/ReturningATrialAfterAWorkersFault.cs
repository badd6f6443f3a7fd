namespace Experiments.Store.Tests;

/// <summary>
/// An attempt ended by a fault of its worker's environment (its data gone, a device error, out of memory) goes back to
/// the queue without using the trial's budget of max_attempts, fenced like every end of an attempt; a quarantined
/// worker's heartbeats say why it claims nothing (docs/cluster.md, "Quarantine").
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ReturningATrialAfterAWorkersFault(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private static async Task<(ResultsStore Store, long Sweep, long Trial)> OneTrialSweepAsync(string connection, int maxAttempts)
    {
        var store = await ResultsStore.OpenAsync(connection);
        var sweep = await store.CreateSweepAsync(new SweepDefinition("s", "{}", "synthetic", "val_accuracy", true, null, maxAttempts, 0, null),
            [new QueuedTrial(Make.Trial(), 0, "t0")]);
        return (store, sweep, (await store.GetSweepTrialsAsync(sweep)).Single().TrialId);
    }

    [Fact]
    public async Task A_trial_given_back_after_its_workers_fault_is_queued_again_and_its_only_allowed_attempt_is_still_there()
    {
        var (store, sweep, trial) = await OneTrialSweepAsync(database.ConnectionString, maxAttempts: 1);
        await using var _ = store;
        var broken = (await store.ClaimTrialAsync(trial, "broken", Lease))!;

        Assert.Equal(TrialStatus.Queued, await store.ReturnAfterEnvironmentFaultAsync(broken.Owner, "broken", "worker broken quarantined itself: the mnist data could not be loaded on node-3"));

        var row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal((TrialStatus.Queued, 1, 1, 0, "worker broken quarantined itself: the mnist data could not be loaded on node-3"),
            (row.Status, row.Attempts, row.EnvironmentFaults, row.AttemptsInBudget, row.Error));
        // The healthy worker's attempt is the first of the budget; when it fails, the trial has used its one attempt.
        var healthy = (await store.ClaimTrialAsync(trial, "healthy", Lease))!;
        Assert.Equal((2, 1), (healthy.Attempt, healthy.AttemptInBudget));
        Assert.Equal(TrialStatus.Failed, await store.EndAttemptAsync(healthy.Owner, "healthy", TrialStatus.Failed, "a bad architecture"));
    }

    [Fact]
    public async Task Giving_back_an_attempt_that_no_longer_owns_its_trial_is_refused_and_changes_nothing()
    {
        var (store, sweep, trial) = await OneTrialSweepAsync(database.ConnectionString, maxAttempts: 3);
        await using var _ = store;
        var stale = (await store.ClaimTrialAsync(trial, "worker-a", Lease))!;
        Assert.Equal([trial], (await store.ReclaimFromDeadWorkerAsync("worker-a")).Requeued);
        Assert.NotNull(await store.ClaimTrialAsync(trial, "worker-b", Lease));

        Assert.Null(await store.ReturnAfterEnvironmentFaultAsync(stale.Owner, "worker-a", "out of memory"));

        var row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal((TrialStatus.Running, "worker-b", 0), (row.Status, row.Worker, row.EnvironmentFaults));
    }

    [Fact]
    public async Task A_resume_starts_a_fresh_budget_that_no_earlier_fault_is_taken_from()
    {
        var (store, sweep, trial) = await OneTrialSweepAsync(database.ConnectionString, maxAttempts: 2);
        await using var _ = store;
        await store.ReturnAfterEnvironmentFaultAsync((await store.ClaimTrialAsync(trial, "broken", Lease))!.Owner, "broken", "device error: CUDA error");
        var failed = (await store.ClaimTrialAsync(trial, "w", Lease))!;
        await store.EndAttemptAsync(failed.Owner, "w", TrialStatus.Failed, "one");
        var again = (await store.ClaimTrialAsync(trial, "w", Lease))!;
        Assert.Equal(TrialStatus.Failed, await store.EndAttemptAsync(again.Owner, "w", TrialStatus.Failed, "two"));

        await store.ResumeSweepAsync(sweep);

        var row = (await store.GetSweepTrialsAsync(sweep)).Single();
        Assert.Equal((3, 3, 0, 0), (row.Attempts, row.AttemptsBeforeResume, row.EnvironmentFaults, row.AttemptsInBudget));
        Assert.Equal(1, (await store.ClaimTrialAsync(trial, "w", Lease))!.AttemptInBudget);
    }

    [Fact]
    public async Task A_quarantined_workers_heartbeats_show_it_as_unhealthy_with_its_host_and_fault()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        await store.HeartbeatAsync(new WorkerHeartbeat("node-3/41", "node-3", 1, 0, 1, [], "out of memory: DefaultCPUAllocator"), Lease);
        await store.HeartbeatAsync(new WorkerHeartbeat("node-4/42", "node-4", 1, 0, 1, []), Lease);

        var unhealthy = await store.QuarantinedWorkersAsync(TimeSpan.FromMinutes(1));

        var only = Assert.Single(unhealthy, w => w.Worker.StartsWith("node-", StringComparison.Ordinal));
        Assert.Equal(("node-3/41", "node-3", "out of memory: DefaultCPUAllocator"), (only.Worker, only.Host, only.Fault));
    }
}
