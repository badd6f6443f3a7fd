using System.Diagnostics;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// One database, used by a cluster and by a `sweep run` at once (issue #10's fault drill: 6 of 8 in-process trials ran
/// on cluster workers). Each sweep records who drives it, so the in-process sweep's trials all run in the `sweep run`
/// process, and the cluster's sweep on the cluster (docs/cluster.md, "Who drives a sweep").
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Keeping_an_in_process_sweep_off_the_cluster(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_sweep_run_on_a_clusters_database_runs_every_trial_in_its_own_process_while_the_clusters_sweep_runs_on_the_cluster()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator();
        var clusterWorker = cluster.StartWorker("cluster-worker");
        await cluster.WaitForWorkersAsync(1);

        // Long enough (one slot, six trials) to outlast a cluster coordinator's scan of waiting sweeps (every 10 s),
        // which is how the cluster used to find it, while the cluster's own worker sits idle.
        var local = Path.Combine(cluster.Home, "in-process.yaml");
        await File.WriteAllTextAsync(local, $$"""
            name: in-process
            dataset: synthetic
            epochs: 2
            batch_size: 16
            grid:
              arch:
                - name: slow
                  layers: {{Running_a_sweep_across_processes.SlowLayers}}
              lr: [0.001, 0.002, 0.003, 0.004, 0.005, 0.006]
            seed: 5
            """);
        await using var sweepRun = NodeProcess.Start("sweep-run", fixture.NewHome("sweep-run"),
            "sweep", "run", local, "--db", cluster.Database, "--slots", "1", "--threads", "1");
        await cluster.WaitUntilAsync("the in-process sweep recorded", TimeSpan.FromSeconds(60), async () =>
            await cluster.ScalarAsync("SELECT count(*) FROM sweeps WHERE name = 'in-process'") == 1);
        var inProcessSweep = await cluster.ScalarAsync("SELECT id FROM sweeps WHERE name = 'in-process'");

        var clusterSweep = await cluster.SubmitAsync("""
            name: on-the-cluster
            dataset: synthetic
            epochs: 1
            batch_size: 32
            limit: 300
            grid:
              arch: [ffnn-100]
              lr: [0.001, 0.002]
            seed: 6
            """);
        await cluster.WaitForSweepAsync(clusterSweep, SweepStatus.Completed, TimeSpan.FromSeconds(90));
        await cluster.WaitUntilAsync("`sweep run` finished", TimeSpan.FromSeconds(120), () => Task.FromResult(sweepRun.HasExited));
        using (var drained = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await sweepRun.WaitForExitAsync(drained.Token);
        Assert.Contains($"Sweep {inProcessSweep} completed: 6 completed.", sweepRun.Output, StringComparison.Ordinal);

        // The in-process worker is named after the `sweep run` process (host/pid), and drives only its own sweep.
        var inProcessWorker = $"{Environment.MachineName}/{sweepRun.Pid}";
        Assert.Equal("process:" + inProcessWorker, (await cluster.Store.GetSweepAsync(inProcessSweep))!.Driver);
        Assert.Equal(SweepDrivers.Cluster, (await cluster.Store.GetSweepAsync(clusterSweep))!.Driver);
        var inProcessTrials = await cluster.Store.GetSweepTrialsAsync(inProcessSweep);
        Assert.Equal(6, inProcessTrials.Count);
        Assert.All(inProcessTrials, t => Assert.Equal((TrialStatus.Completed, 1, inProcessWorker), (t.Status, t.Attempts, t.Worker)));
        var clusterTrials = await cluster.Store.GetSweepTrialsAsync(clusterSweep);
        Assert.Equal(2, clusterTrials.Count);
        Assert.All(clusterTrials, t => Assert.Equal((TrialStatus.Completed, $"{Environment.MachineName}/{clusterWorker.Pid}"), (t.Status, t.Worker)));
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
