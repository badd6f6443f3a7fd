using System.Diagnostics;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// The churn drill of issue #10: four one-slot worker processes, a sweep of many short trials, and every ~20 s one
/// worker that is training killed with -9 and a fresh one started in its place, six times. Nothing may be lost or
/// written twice however the kills fall.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Churning_workers_mid_sweep(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int Workers = 4;
    private const int Kills = 6;
    private const int TrialCount = 48;
    private const int Epochs = 2;
    private static readonly TimeSpan KillEvery = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Workers_killed_and_restarted_six_times_during_a_sweep_leave_every_trial_completed_with_each_epoch_recorded_once()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator();
        var workers = Enumerable.Range(0, Workers).Select(i => cluster.StartWorker($"worker-{i}")).ToList();
        await cluster.WaitForWorkersAsync(Workers);

        // 48 trials (4 learning rates × 12 seeds' worth of weight decays) of two epochs on a quarter of the synthetic
        // training set: a few seconds each, so a kill usually lands mid-trial and the queue outlasts the six kills.
        var sweepId = await cluster.SubmitAsync($$"""
            name: churn
            dataset: synthetic
            epochs: {{Epochs}}
            batch_size: 32
            limit: 1200
            grid:
              arch:
                - name: cnn
                  layers: {{Running_a_sweep_across_processes.SlowLayers}}
              lr: [0.001, 0.002, 0.003, 0.004]
              weight_decay: [0, 0.00001, 0.00002, 0.00003, 0.00004, 0.00005, 0.00006, 0.00007, 0.00008, 0.00009, 0.0001, 0.00011]
            seed: 13
            max_attempts: 5
            """);

        // Each kill comes ~20 s after the last, or sooner once the sweep is that share further on (k/7 of the trials
        // finished by kill k), so that all six land while trials are still queued even on a faster machine. The victim
        // is a worker training a trial right now.
        var interrupted = new HashSet<long>();
        var sinceKill = Stopwatch.StartNew();
        for (var kill = 1; kill <= Kills; kill++)
        {
            var due = kill * TrialCount / (Kills + 1);
            IReadOnlyList<SweepTrialRow> trials = [];
            NodeProcess? victim = null;
            await cluster.WaitUntilAsync($"kill {kill}: a worker training, {KillEvery.TotalSeconds:0} s after the last kill or {due} trials finished",
                TimeSpan.FromSeconds(120), async () =>
                {
                    trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
                    if (sinceKill.Elapsed < KillEvery && trials.Count(t => t.Status == TrialStatus.Completed) < due) return false;
                    victim = workers.FirstOrDefault(w => trials.Any(t => t.Status == TrialStatus.Running && t.Worker == Running_a_sweep_across_processes.WorkerName(w)));
                    return victim is not null;
                });
            victim!.KillHard();
            sinceKill.Restart();
            // Read again after the kill: the victim may have claimed another trial since the last look (it is dead now,
            // and membership takes seconds to notice, so its rows still name it).
            trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
            var held = trials.Where(t => t.Status == TrialStatus.Running && t.Worker == Running_a_sweep_across_processes.WorkerName(victim)).ToList();
            interrupted.UnionWith(held.Select(t => t.TrialId));
            var queued = trials.Count(t => t.Status == TrialStatus.Queued);
            cluster.Log($"kill {kill}: {victim.Name} (pid {victim.Pid}) during trial(s) {string.Join(", ", held.Select(t => t.TrialId))}; " +
                        $"{trials.Count(t => t.Status == TrialStatus.Completed)} completed, {queued} queued");
            Assert.True(queued > 0, $"kill {kill} came after the last trial had been started; the drill needs a longer sweep");
            workers[workers.IndexOf(victim)] = cluster.StartWorker($"{victim.Name.Split('#')[0]}#{kill}");
        }
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, TimeSpan.FromSeconds(240));

        var final = await cluster.AssertCompletedWithEveryEpochOnceAsync(sweepId, Epochs);
        Assert.Equal(TrialCount, final.Count);
        // Only a trial that was training on a killed worker started more than once.
        Assert.All(final.Where(t => !interrupted.Contains(t.TrialId)), t => Assert.Equal(1, t.Attempts));
        Assert.True(final.Count(t => t.Attempts > 1) >= 1, "no kill interrupted a trial");
        cluster.Log($"{interrupted.Count} trial(s) interrupted by the kills, {final.Count(t => t.Attempts > 1)} restarted; test took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
