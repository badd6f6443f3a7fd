namespace Experiments.Store.Tests;

/// <summary>
/// The end of a lone trial (`experiments train`) is fenced like every other write of an attempt: a process that wakes
/// up after its trial was started again cannot mark it finished or failed (docs/cluster.md, "Fencing").
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FinishingALoneTrialAsItsAttempt(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task A_finish_from_an_attempt_that_no_longer_runs_the_trial_is_refused_and_changes_nothing()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        var stale = await store.MarkRunningAsync(trial, "frozen-process");
        var current = await store.MarkRunningAsync(trial, "live-process");

        var refused = await Assert.ThrowsAsync<TrialFencedException>(() => store.FinishTrialAsync(stale, TrialStatus.Failed, "woke up and crashed"));

        Assert.Equal(stale, refused.Attempt);
        var row = (await store.GetTrialAsync(trial))!;
        Assert.Equal((TrialStatus.Running, 2, "live-process", (string?)null), (row.Status, row.Attempts, row.Worker, row.Error));
        Assert.Null(row.FinishedAt);

        await store.FinishTrialAsync(current, TrialStatus.Completed, null);
        Assert.Equal(TrialStatus.Completed, (await store.GetTrialAsync(trial))!.Status);
    }

    [Fact]
    public async Task A_trial_can_be_finished_only_once_by_its_attempt()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        var attempt = await store.MarkRunningAsync(trial, "process");
        await store.FinishTrialAsync(attempt, TrialStatus.Diverged, "loss is NaN at epoch 2");

        await Assert.ThrowsAsync<TrialFencedException>(() => store.FinishTrialAsync(attempt, TrialStatus.Failed, "finished twice"));

        var row = (await store.GetTrialAsync(trial))!;
        Assert.Equal((TrialStatus.Diverged, "loss is NaN at epoch 2"), (row.Status, row.Error));
    }
}
