using System.Diagnostics;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// The fault drill of issue #10 "kill -9 of the coordinator, twice": each replacement coordinator re-drives the sweep
/// from PostgreSQL alone, and a trial in flight when its coordinator dies finishes once, on its worker.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Replacing_a_coordinator_killed_twice(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan SweepTimeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task A_sweep_whose_coordinator_is_killed_twice_is_finished_by_the_third_with_every_trial_run_exactly_once()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        var coordinator = cluster.StartCoordinator("coordinator-1");
        cluster.StartWorker("worker-a");
        cluster.StartWorker("worker-b");
        await cluster.WaitForWorkersAsync(2);

        const int epochs = 2;
        const int trialCount = 12;
        var sweepId = await cluster.SubmitAsync($"""
            name: kill-the-coordinator-twice
            dataset: synthetic
            epochs: {epochs}
            batch_size: 16
            grid:
              arch: [ffnn-100]
              lr: [0.001, 0.002, 0.003, 0.004]
              weight_decay: [0, 0.0001, 0.0002]
            seed: 9
            """);

        // Each kill lands mid-sweep: some trials done, others still queued, and (usually) some running on the workers.
        foreach (var (completedBeforeKill, next) in new[] { (2, "coordinator-2"), (6, "coordinator-3") })
        {
            await cluster.WaitUntilAsync($"{completedBeforeKill} trials completed", SweepTimeout, async () =>
                (await cluster.Store.GetSweepAsync(sweepId))!.Count(TrialStatus.Completed) >= completedBeforeKill);
            coordinator.KillHard();
            var atKill = (await cluster.Store.GetSweepAsync(sweepId))!;
            cluster.Log($"killed {coordinator.Name}: {atKill.Count(TrialStatus.Completed)} completed, {atKill.Count(TrialStatus.Running)} running, " +
                        $"{atKill.Count(TrialStatus.Queued)} queued");
            Assert.True(atKill.Count(TrialStatus.Queued) > 0, $"the sweep must still have queued trials when {coordinator.Name} dies");
            coordinator = cluster.StartCoordinator(next);
        }
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, SweepTimeout);

        var trials = await cluster.AssertCompletedWithEveryEpochOnceAsync(sweepId, epochs);
        Assert.Equal(Enumerable.Range(0, trialCount), trials.Select(t => t.Index ?? -1));
        // Claimed once each: none lost with a coordinator, none placed twice by its successor.
        Assert.All(trials, t => Assert.Equal((1, null), (t.Attempts, t.Error)));
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
