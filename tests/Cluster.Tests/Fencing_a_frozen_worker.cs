using System.Diagnostics;
using System.Globalization;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// The fault drill of issue #10: a worker frozen (SIGSTOP) mid-trial past its lease, whose trial moves to the other
/// worker, is woken (SIGCONT) while the trial runs there. It must write nothing more for the trial it lost.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Fencing_a_frozen_worker(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_worker_woken_after_its_trial_moved_on_writes_no_epoch_heartbeat_or_status_for_it_and_says_so_once()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator();
        var workers = new[] { cluster.StartWorker("worker-a"), cluster.StartWorker("worker-b") };
        await cluster.WaitForWorkersAsync(2);

        const int epochs = 10;
        var sweepId = await cluster.SubmitAsync($$"""
            name: freeze-a-worker
            dataset: synthetic
            epochs: {{epochs}}
            batch_size: 16
            grid:
              arch:
                - name: slow
                  layers: {{Running_a_sweep_across_processes.SlowLayers}}
            seed: 4
            max_attempts: 3
            """);
        SweepTrialRow? victim = null;
        await cluster.WaitUntilAsync("the trial part-way through", TimeSpan.FromSeconds(60), async () =>
        {
            victim = (await cluster.Store.GetSweepTrialsAsync(sweepId)).SingleOrDefault(t => t.Status == TrialStatus.Running && t.EpochsRecorded >= 1);
            return victim is not null;
        });
        var frozen = workers.Single(w => WorkerName(w) == victim!.Worker);
        var survivor = workers.Single(w => w != frozen);
        Signal("STOP", frozen);
        cluster.Log($"froze {frozen.Name} during trial {victim!.TrialId}");

        await cluster.WaitUntilAsync($"trial {victim.TrialId} running again on {survivor.Name}", TimeSpan.FromSeconds(150), async () =>
            (await cluster.Store.GetSweepTrialsAsync(sweepId)).Single() is { Status: TrialStatus.Running, Attempts: >= 2 } row && row.Worker == WorkerName(survivor));
        var wokenAt = await cluster.ScalarAsync("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
        Signal("CONT", frozen);
        cluster.Log($"woke {frozen.Name}");
        await cluster.WaitUntilAsync($"{frozen.Name} noticing it lost trial {victim.TrialId}", TimeSpan.FromSeconds(30), () =>
            Task.FromResult(frozen.Output.Contains($"Trial {victim.TrialId} attempt 1 was taken back from this worker", StringComparison.Ordinal)));
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, TimeSpan.FromSeconds(150));

        var trial = (await cluster.Store.GetSweepTrialsAsync(sweepId)).Single();
        Assert.Equal((TrialStatus.Completed, WorkerName(survivor)), (trial.Status, trial.Worker));
        Assert.Equal(Enumerable.Range(0, epochs + 1), await cluster.EpochNumbersAsync(trial.TrialId)); // contiguous and unique
        // Alive again, the woken worker heartbeats for itself, but none of its beats since names the trial it lost.
        Assert.Equal(0, await cluster.ScalarAsync(
            "SELECT count(*) FROM worker_heartbeats WHERE worker = @worker AND @trial = ANY(trial_ids) AND at >= to_timestamp(@woken / 1000.0)",
            ("worker", WorkerName(frozen)), ("trial", trial.TrialId), ("woken", wokenAt)));
        Assert.True(await cluster.ScalarAsync("SELECT count(*) FROM worker_heartbeats WHERE worker = @worker AND at >= to_timestamp(@woken / 1000.0)",
            ("worker", WorkerName(frozen)), ("woken", wokenAt)) > 0, "the woken worker never heartbeated again");
        Assert.DoesNotContain($"Trial {trial.TrialId} ended", frozen.Output, StringComparison.Ordinal);
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static void Signal(string signal, NodeProcess node)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, node.Pid.ToString(CultureInfo.InvariantCulture) } })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static string WorkerName(NodeProcess worker) => $"{Environment.MachineName}/{worker.Pid}";
}
