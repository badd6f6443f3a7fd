using System.Diagnostics;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// The fault drill of issue #10 "PostgreSQL restarted mid-sweep": the cluster's only server goes away while trials
/// train and comes back on the same port. The silos wait it out (docs/cluster.md, "Database outages") and the sweep
/// completes with every epoch recorded exactly once.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Restarting_postgres_mid_sweep(ClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// The nodes' lease: the coordinator waits this long after the database returns before it takes back a lease that
    /// ran out (docs/cluster.md, "Database outages"). In proportion to the defaults (30 s lease, 5 s heartbeat), not the
    /// 4 s the other cluster tests use to notice a dead worker quickly.
    /// </summary>
    private const int LeaseSeconds = 10;

    /// <summary>Longer than the lease, so every running trial's lease runs out while the server is down.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(LeaseSeconds + 4);

    [Fact]
    public async Task A_sweep_running_while_postgres_restarts_completes_with_no_epoch_lost_or_written_twice()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        var nodes = new[]
        {
            cluster.StartCoordinator("coordinator", LeaseSeconds), cluster.StartWorker("worker-a", LeaseSeconds), cluster.StartWorker("worker-b", LeaseSeconds),
        };
        await cluster.WaitForWorkersAsync(2);

        const int epochs = 4;
        const int trialCount = 4;
        var sweepId = await cluster.SubmitAsync($$"""
            name: restart-postgres
            dataset: synthetic
            epochs: {{epochs}}
            batch_size: 16
            grid:
              arch:
                - name: cnn
                  layers: {{Running_a_sweep_across_processes.SlowLayers}}
              lr: [0.001, 0.002, 0.003, 0.004]
            seed: 12
            """);
        await cluster.WaitUntilAsync("both workers part-way through a trial", TimeSpan.FromSeconds(120), async () =>
            (await cluster.Store.GetSweepTrialsAsync(sweepId)).Count(t => t.Status == TrialStatus.Running && t.EpochsRecorded is >= 1 and < epochs) == 2);

        cluster.Log($"stopping PostgreSQL for {Outage.TotalSeconds:0} s");
        await fixture.RestartPostgresAsync(Outage);
        cluster.Log("PostgreSQL is back");
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, TimeSpan.FromSeconds(180));

        // Every node rode the outage out: none stopped on it.
        Assert.All(nodes, n => Assert.False(n.HasExited, $"{n.Name} exited during the outage:\n{n.Output}"));
        var trials = await cluster.AssertCompletedWithEveryEpochOnceAsync(sweepId, epochs);
        Assert.Equal(trialCount, trials.Count);
        // The workers were alive throughout, so the leases that ran out during the outage took no trial away from them.
        Assert.All(trials, t => Assert.Equal((1, null), (t.Attempts, t.Error)));
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
