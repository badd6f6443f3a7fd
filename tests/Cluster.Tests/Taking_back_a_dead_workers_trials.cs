using System.Diagnostics;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// A worker silo killed with kill -9 is declared dead by the cluster's membership within seconds, and a coordinator
/// takes its trial back at once, rather than when the trial's lease runs out.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Taking_back_a_dead_workers_trials(ClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>The default lease: the time recovery took before membership did it.</summary>
    private const int LeaseSeconds = 30;

    [Fact]
    public async Task A_worker_killed_mid_trial_has_its_trial_training_on_the_other_worker_before_the_lease_could_run_out()
    {
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator("coordinator", LeaseSeconds);
        var workers = new[] { cluster.StartWorker("worker-a", LeaseSeconds), cluster.StartWorker("worker-b", LeaseSeconds) };
        await cluster.WaitForWorkersAsync(2);

        // One trial, so that the other worker is idle when the first one dies.
        const int epochs = 8;
        var sweepId = await cluster.SubmitAsync($$"""
            name: kill-a-worker-silo
            dataset: synthetic
            epochs: {{epochs}}
            batch_size: 16
            grid:
              arch:
                - name: slow
                  layers: {{Running_a_sweep_across_processes.SlowLayers}}
            seed: 6
            max_attempts: 3
            """);
        SweepTrialRow? victim = null;
        await cluster.WaitUntilAsync("the trial part-way through", TimeSpan.FromSeconds(90), async () =>
        {
            victim = (await cluster.Store.GetSweepTrialsAsync(sweepId))
                .FirstOrDefault(t => t.Status == TrialStatus.Running && t.EpochsRecorded is >= 1 and <= epochs - 3);
            return victim is not null;
        });
        var killed = workers.Single(w => Worker(w) == victim!.Worker);
        var survivor = workers.Single(w => w != killed);

        var sinceKill = Stopwatch.StartNew();
        killed.KillHard();
        SweepTrialRow? retaken = null;
        await cluster.WaitUntilAsync($"trial {victim!.TrialId} training on {survivor.Name}", TimeSpan.FromSeconds(2 * LeaseSeconds), async () =>
        {
            retaken = (await cluster.Store.GetSweepTrialsAsync(sweepId)).Single();
            return retaken is { Status: TrialStatus.Running, Attempts: 2 } && retaken.Worker == Worker(survivor);
        });
        var recovery = sinceKill.Elapsed;
        // Taken back because membership declared the silo dead, not because the lease ran out.
        Assert.Contains($"worker {Worker(killed)} was declared dead by the cluster during attempt 1 of 3", retaken!.Error, StringComparison.Ordinal);
        output.WriteLine($"kill -9 of {killed.Name} to its trial training on {survivor.Name}: {recovery.TotalSeconds:0.0} s (lease {LeaseSeconds} s)");
        Assert.True(recovery < TimeSpan.FromSeconds(LeaseSeconds), $"the trial trained again after {recovery.TotalSeconds:0.0} s, not before the {LeaseSeconds} s lease");

        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, TimeSpan.FromSeconds(120));
        var trial = (await cluster.Store.GetSweepTrialsAsync(sweepId)).Single();
        Assert.Equal(TrialStatus.Completed, trial.Status);
        Assert.Equal(2, trial.Attempts);
        Assert.Equal(Worker(survivor), trial.Worker);
        // Contiguous and unique: every epoch from the untrained 0 to the last, each recorded once.
        Assert.Equal(Enumerable.Range(0, epochs + 1), await cluster.EpochNumbersAsync(trial.TrialId));
        Assert.Equal(epochs + 1, await cluster.ScalarAsync("SELECT count(*) FROM epochs WHERE trial_id = @id", ("id", trial.TrialId)));
    }

    private static string Worker(NodeProcess node) => Running_a_sweep_across_processes.WorkerName(node);
}
