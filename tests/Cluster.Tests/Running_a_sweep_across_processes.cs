using System.Diagnostics;
using System.Text.Json;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// The cluster as it runs for real: a coordinator and workers, each an `experiments silo` process on loopback, an
/// Orleans cluster whose only server is a private PostgreSQL; faults are real kill -9s. Every outcome is read back from
/// PostgreSQL.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Running_a_sweep_across_processes(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan SweepTimeout = TimeSpan.FromSeconds(120);

    /// <summary>A small CNN of about 0.5–1 s per epoch on one thread: slow enough to be caught mid-trial.</summary>
    internal const string SlowLayers =
        "[{type: conv2d, out: 16, kernel: 5}, relu, {type: maxpool, kernel: 2}, flatten, {type: linear, out: 10}]";

    [Fact]
    public async Task A_coordinator_and_two_worker_processes_run_a_sweep_to_completion()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.Log($"shared database started in {fixture.StartDuration.TotalSeconds:0.0} s");
        var coordinator = cluster.StartCoordinator();
        var workers = new[] { cluster.StartWorker("worker-a"), cluster.StartWorker("worker-b") };
        await cluster.WaitForWorkersAsync(2);

        const int epochs = 2;
        var sweepId = await cluster.SubmitAsync($"""
            name: two-workers
            dataset: synthetic
            epochs: {epochs}
            batch_size: 32
            grid:
              arch: [ffnn-100]
              lr: [0.001, 0.002, 0.003]
              weight_decay: [0, 0.0001]
            seed: 1
            """);
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, SweepTimeout);

        // The finished sweep's coordinator stops quietly: no exception from its own timer's last pass in the log.
        await cluster.WaitUntilAsync("the coordinator to stop polling the finished sweep", TimeSpan.FromSeconds(30), () =>
            Task.FromResult(coordinator.Output.Contains($"Sweep {sweepId}: nothing runs any more; its coordinator stops polling", StringComparison.Ordinal)));
        await Task.Delay(TimeSpan.FromSeconds(1)); // what the stopping pass might still log
        Assert.DoesNotContain("Caught and ignored exception", coordinator.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("InvokeException", coordinator.Output, StringComparison.Ordinal);

        var sweep = (await cluster.Store.GetSweepAsync(sweepId))!;
        Assert.Equal(6, sweep.TrialCount);
        Assert.Equal(6, sweep.Count(TrialStatus.Completed));
        var trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
        Assert.Equal([0, 1, 2, 3, 4, 5], trials.Select(t => t.Index ?? -1));
        foreach (var trial in trials)
        {
            Assert.Equal(TrialStatus.Completed, trial.Status);
            Assert.Equal(1, trial.Attempts);
            Assert.Null(trial.Error);
            Assert.Equal(Enumerable.Range(0, epochs + 1), await cluster.EpochNumbersAsync(trial.TrialId));
        }
        // Both worker processes took part, and no trial ran anywhere else.
        var workerNames = workers.Select(WorkerName).ToHashSet();
        Assert.Equal(workerNames, trials.Select(t => t.Worker!).ToHashSet());

        // What a user sees through the CLI agrees with the database.
        var status = await cluster.CliAsync("sweep", "status", sweepId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json", "--db", cluster.Database);
        Assert.True(status.ExitCode == 0, status.All);
        using var json = JsonDocument.Parse(status.Output);
        Assert.Equal("completed", json.RootElement.GetProperty("sweep").GetProperty("status").GetString());
        Assert.All(json.RootElement.GetProperty("trials").EnumerateArray(), t => Assert.Contains(t.GetProperty("worker").GetString() ?? "", workerNames));
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_worker_killed_mid_trial_has_its_trial_resumed_bit_exactly_on_the_other_worker()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator();
        var workers = new[] { cluster.StartWorker("worker-a"), cluster.StartWorker("worker-b") };
        await cluster.WaitForWorkersAsync(2);

        // Two trials identical in all but the architecture's name: same layers, hyperparameters and seed. One is
        // interrupted and resumed elsewhere, the other runs straight through, so the twin is the oracle for the resume.
        const int epochs = 6;
        var sweepId = await cluster.SubmitAsync($$"""
            name: kill-a-worker
            dataset: synthetic
            epochs: {{epochs}}
            batch_size: 16
            grid:
              arch:
                - name: twin-a
                  layers: {{SlowLayers}}
                - name: twin-b
                  layers: {{SlowLayers}}
            seed: 3
            max_attempts: 3
            """);

        // Wait until a trial is part-way: at least one trained epoch recorded, and several still to go.
        SweepTrialRow? victim = null;
        await cluster.WaitUntilAsync("a trial part-way through on some worker", TimeSpan.FromSeconds(60), async () =>
        {
            victim = (await cluster.Store.GetSweepTrialsAsync(sweepId))
                .FirstOrDefault(t => t.Status == TrialStatus.Running && t.EpochsRecorded is >= 1 and <= epochs - 3);
            return victim is not null;
        });
        var killed = workers.Single(w => WorkerName(w) == victim!.Worker);
        var survivor = workers.Single(w => w != killed);
        killed.KillHard();
        var recordedAtKill = (await cluster.EpochNumbersAsync(victim!.TrialId)).Length - 1;
        cluster.Log($"killed {killed.Name} during trial {victim.TrialId} with {recordedAtKill} trained epochs recorded");
        Assert.InRange(recordedAtKill, 1, epochs - 1);

        // The coordinator takes the trial back (the silo is declared dead, or the lease runs out) and the survivor
        // claims it as attempt 2; meanwhile the row says why it was taken back.
        string? errorWhileResuming = null;
        await cluster.WaitUntilAsync($"trial {victim.TrialId} resumed on {survivor.Name}", SweepTimeout, async () =>
        {
            var row = (await cluster.Store.GetSweepTrialsAsync(sweepId)).Single(t => t.TrialId == victim.TrialId);
            if (row.Attempts < 2) return false;
            errorWhileResuming = row.Error;
            return true;
        });
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, SweepTimeout);

        Assert.NotNull(errorWhileResuming);
        // Whichever noticed first took it back: the 4 s lease, or the cluster declaring the silo dead.
        Assert.Matches($"worker {System.Text.RegularExpressions.Regex.Escape(WorkerName(killed))} (stopped heartbeating|was declared dead by the cluster) during attempt 1 of 3",
            errorWhileResuming);
        var trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
        Assert.All(trials, t => Assert.Equal(TrialStatus.Completed, t.Status));
        var resumed = trials.Single(t => t.TrialId == victim.TrialId);
        var twin = trials.Single(t => t.TrialId != victim.TrialId);
        Assert.Equal(2, resumed.Attempts);
        Assert.Equal(WorkerName(survivor), resumed.Worker);
        Assert.Equal(1, twin.Attempts);
        Assert.Equal(WorkerName(survivor), twin.Worker);
        // Contiguous and unique: 0 (the untrained model) to the last epoch, each once.
        Assert.Equal(Enumerable.Range(0, epochs + 1), await cluster.EpochNumbersAsync(resumed.TrialId));
        Assert.Equal(Enumerable.Range(0, epochs + 1), await cluster.EpochNumbersAsync(twin.TrialId));
        Assert.Equal(epochs + 1, await cluster.ScalarAsync("SELECT count(*) FROM epochs WHERE trial_id = @id", ("id", resumed.TrialId)));

        // Resuming from the latest snapshot is bit-exact: every epoch's figures and the final weights and optimizer
        // state equal those of the twin that was never interrupted.
        var resumedEpochs = await cluster.Store.GetEpochsAsync(resumed.TrialId);
        var twinEpochs = await cluster.Store.GetEpochsAsync(twin.TrialId);
        for (var e = 0; e <= epochs; e++)
        {
            Assert.Equal(twinEpochs[e].Train, resumedEpochs[e].Train);
            Assert.Equal(twinEpochs[e].Validation, resumedEpochs[e].Validation);
            Assert.Equal(twinEpochs[e].Test, resumedEpochs[e].Test);
        }
        var resumedWeights = await cluster.Store.ReadSnapshotAsync(resumed.TrialId, epochs);
        var twinWeights = await cluster.Store.ReadSnapshotAsync(twin.TrialId, epochs);
        Assert.NotEmpty(twinWeights);
        Assert.Equal(twinWeights.Select(t => t.Name), resumedWeights.Select(t => t.Name));
        for (var i = 0; i < twinWeights.Count; i++)
            Assert.True(twinWeights[i].Data.AsSpan().SequenceEqual(resumedWeights[i].Data), $"tensor {twinWeights[i].Name} differs after the resume");
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_coordinator_killed_mid_sweep_and_replaced_loses_and_duplicates_nothing()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        var first = cluster.StartCoordinator("coordinator-1");
        cluster.StartWorker("worker-a");
        cluster.StartWorker("worker-b");
        await cluster.WaitForWorkersAsync(2);

        const int epochs = 3;
        var sweepId = await cluster.SubmitAsync($"""
            name: restart-the-coordinator
            dataset: synthetic
            epochs: {epochs}
            batch_size: 16
            grid:
              arch: [ffnn-100]
              lr: [0.001, 0.002, 0.003, 0.004]
              weight_decay: [0, 0.0001]
            seed: 5
            """);
        await cluster.WaitUntilAsync("two trials completed", SweepTimeout, async () =>
            (await cluster.Store.GetSweepAsync(sweepId))!.Count(TrialStatus.Completed) >= 2);
        first.KillHard();
        var atKill = (await cluster.Store.GetSweepAsync(sweepId))!;
        cluster.Log($"killed coordinator-1 with {atKill.Count(TrialStatus.Completed)} completed, {atKill.Count(TrialStatus.Queued)} queued");
        Assert.True(atKill.Count(TrialStatus.Queued) > 0, "the sweep must still have queued trials when its coordinator dies");

        // Without a coordinator, each worker whose trial ends claims the sweep's next queued trial itself
        // (docs/cluster.md, "A freed slot fills itself"), so the queue drains; but nobody closes the sweep.
        // "No trial running for 3 s in a row" tells the end from a gap between two trials.
        var idleSince = Stopwatch.StartNew();
        await cluster.WaitUntilAsync("no trial running for 3 s", TimeSpan.FromSeconds(120), async () =>
        {
            if ((await cluster.Store.GetSweepAsync(sweepId))!.Count(TrialStatus.Running) > 0) idleSince.Restart();
            return idleSince.Elapsed > TimeSpan.FromSeconds(3);
        });
        var drained = (await cluster.Store.GetSweepAsync(sweepId))!;
        Assert.Equal(SweepStatus.Running, drained.Status);
        Assert.Equal((8, 0, 0), (drained.Count(TrialStatus.Completed), drained.Count(TrialStatus.Queued), drained.Count(TrialStatus.Running)));

        // A new coordinator re-drives the sweep from the database alone, and closes it.
        cluster.StartCoordinator("coordinator-2");
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, SweepTimeout);

        var trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
        Assert.Equal(Enumerable.Range(0, 8), trials.Select(t => t.Index ?? -1));
        foreach (var trial in trials)
        {
            Assert.Equal(TrialStatus.Completed, trial.Status);
            Assert.Equal(1, trial.Attempts); // run exactly once: no trial lost, none run twice
            Assert.Equal(Enumerable.Range(0, epochs + 1), await cluster.EpochNumbersAsync(trial.TrialId));
        }
        Assert.Equal(8L * (epochs + 1), await cluster.ScalarAsync(
            "SELECT count(*) FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = @id", ("id", sweepId)));
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_cancelled_sweep_keeps_its_epochs_and_resume_finishes_it()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator();
        cluster.StartWorker("worker-a");
        cluster.StartWorker("worker-b");
        await cluster.WaitForWorkersAsync(2);

        const int epochs = 5;
        var sweepId = await cluster.SubmitAsync($$"""
            name: cancel-and-resume
            dataset: synthetic
            epochs: {{epochs}}
            batch_size: 16
            grid:
              arch:
                - name: cnn
                  layers: {{SlowLayers}}
              lr: [0.001, 0.002, 0.003, 0.004]
            seed: 7
            """);
        await cluster.WaitUntilAsync("two trials running with a trained epoch", SweepTimeout, async () =>
            (await cluster.Store.GetSweepTrialsAsync(sweepId)).Count(t => t.Status == TrialStatus.Running && t.EpochsRecorded >= 1) == 2);

        var cancel = await cluster.CliAsync("sweep", "cancel", sweepId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", cluster.Database);
        cluster.Log("sweep cancel said: " + cancel.Output.Trim());
        Assert.True(cancel.ExitCode == 0, cancel.All);
        Assert.Contains("running ones stop now", cancel.Output, StringComparison.Ordinal);
        var afterCancel = await cluster.Store.GetSweepTrialsAsync(sweepId);
        Assert.Equal(SweepStatus.Cancelled, (await cluster.Store.GetSweepAsync(sweepId))!.Status);
        // The queued trials are cancelled at once, never having started.
        var neverStarted = afterCancel.Where(t => t.Attempts == 0).ToList();
        Assert.Equal(2, neverStarted.Count);
        Assert.All(neverStarted, t => Assert.Equal(TrialStatus.Cancelled, t.Status));

        // The running ones stop through their workers' grains (the heartbeat is the backstop), as cancelled, with the
        // epochs recorded so far.
        var wereRunning = afterCancel.Where(t => t.Attempts == 1).Select(t => t.TrialId).ToList();
        Assert.Equal(2, wereRunning.Count);
        await cluster.WaitUntilAsync("the running trials stopped", TimeSpan.FromSeconds(30), async () =>
            (await cluster.Store.GetSweepTrialsAsync(sweepId)).All(t => t.Status != TrialStatus.Running));
        var stopped = await cluster.Store.GetSweepTrialsAsync(sweepId);
        var keptEpochs = new Dictionary<long, IReadOnlyList<EpochRecord>>();
        foreach (var id in wereRunning)
        {
            var row = stopped.Single(t => t.TrialId == id);
            Assert.Equal(TrialStatus.Cancelled, row.Status);
            Assert.StartsWith("cancelled by the user", row.Error, StringComparison.Ordinal);
            var numbers = await cluster.EpochNumbersAsync(id);
            Assert.InRange(numbers.Length - 1, 1, epochs - 1);
            Assert.Equal(Enumerable.Range(0, numbers.Length), numbers);
            keptEpochs[id] = await cluster.Store.GetEpochsAsync(id);
        }
        // Nothing moves while the sweep is cancelled.
        Assert.Equal(0, stopped.Count(t => t.Status != TrialStatus.Cancelled));

        var resume = await cluster.CliAsync("sweep", "resume", sweepId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cluster", "--db", cluster.Database);
        Assert.True(resume.ExitCode == 0, resume.All);
        Assert.Contains("4 trial(s) re-queued", resume.Error, StringComparison.Ordinal);
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, SweepTimeout);

        var trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
        foreach (var trial in trials)
        {
            Assert.Equal(TrialStatus.Completed, trial.Status);
            // Resume gives a fresh budget (one start since), and the total keeps every start: the cancelled runs too.
            Assert.Equal(1, trial.Attempts - trial.AttemptsBeforeResume);
            Assert.Equal(wereRunning.Contains(trial.TrialId) ? 2 : 1, trial.Attempts);
            Assert.Equal(Enumerable.Range(0, epochs + 1), await cluster.EpochNumbersAsync(trial.TrialId));
        }
        // The epochs recorded before the cancel are still there, unchanged: the trials resumed after them.
        foreach (var (id, before) in keptEpochs)
            Assert.Equal(before, (await cluster.Store.GetEpochsAsync(id)).Take(before.Count));
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_trial_is_placed_on_the_idle_worker_instead_of_waiting_for_the_busy_one()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator();
        var workers = new[] { cluster.StartWorker("worker-a"), cluster.StartWorker("worker-b") };
        await cluster.WaitForWorkersAsync(2);

        // Trial 0 is slow (about 2 s an epoch) and holds one worker; the three quick ones start one by one as slots free
        // up. The coordinator places each on a worker that says it has a free slot, so none waits on the busy worker
        // until the slow trial ends while the other worker idles.
        var sweepId = await cluster.SubmitAsync($$"""
            name: busy-and-idle
            dataset: synthetic
            epochs: 5
            batch_size: 16
            grid:
              arch:
                - name: slow
                  layers: [{type: conv2d, out: 32, kernel: 5}, relu, {type: maxpool, kernel: 2}, flatten, {type: linear, out: 10}]
                - {name: quick-1, layers: [flatten, {type: linear, out: 10}]}
                - {name: quick-2, layers: [flatten, {type: linear, out: 10}]}
                - {name: quick-3, layers: [flatten, {type: linear, out: 10}]}
            seed: 11
            """);
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, SweepTimeout);

        var trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
        Assert.All(trials, t => Assert.Equal(TrialStatus.Completed, t.Status));
        var slow = trials.Single(t => t.Index == 0);
        var quick = trials.Where(t => t.Index != 0).ToList();
        // Every quick trial ran on the worker that was not busy with the slow one. (A quick trial held by the busy
        // worker would have waited for the slow one to end and then run there.)
        Assert.All(quick, t => Assert.NotEqual(slow.Worker, t.Worker));
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_sweep_submitted_while_no_coordinator_is_up_gets_its_id_at_once_and_runs_when_one_starts()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        // A worker is up, so a gateway answers, but no silo can host the sweep's coordinator.
        var worker = cluster.StartWorker("worker-a");
        await cluster.WaitForWorkersAsync(1);

        var file = Path.Combine(cluster.Home, "waiting.yaml");
        await File.WriteAllTextAsync(file, """
            name: waits-for-a-coordinator
            dataset: synthetic
            epochs: 1
            batch_size: 32
            grid:
              arch: [ffnn-100]
              lr: [0.001, 0.002]
            seed: 2
            """);
        var submitClock = Stopwatch.StartNew();
        var submit = await cluster.CliAsync("sweep", "submit", file, "--db", cluster.Database);
        var submitSeconds = submitClock.Elapsed.TotalSeconds;
        cluster.Log($"sweep submit with no coordinator took {submitSeconds:0.0} s (process start included)");

        Assert.True(submit.ExitCode == 0, submit.All);
        var sweepId = long.Parse(submit.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"Sweep {sweepId} submitted: 2 trials; it waits in PostgreSQL", submit.Error, StringComparison.Ordinal);
        // Bounded by the 10 s prompt timeout plus the CLI's own start, not by the cluster: the old submit never returned.
        Assert.True(submitSeconds < 30, $"sweep submit took {submitSeconds:0.0} s");
        var waiting = (await cluster.Store.GetSweepAsync(sweepId))!;
        Assert.Equal(SweepStatus.Running, waiting.Status);
        Assert.Equal(2, waiting.Count(TrialStatus.Queued));

        // A coordinator that starts finds the sweep in PostgreSQL by itself: nobody tells it.
        cluster.StartCoordinator();
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, SweepTimeout);
        var trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialStatus.Completed, t.Status);
            Assert.Equal(1, t.Attempts);
            Assert.Equal(WorkerName(worker), t.Worker);
        });
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_cpu_worker_never_takes_a_gpu_trial_and_the_request_is_reported_unschedulable()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator();
        cluster.StartWorker("cpu-worker");
        await cluster.WaitForWorkersAsync(1);

        var sweepId = await cluster.SubmitAsync("""
            name: asks-for-a-gpu
            dataset: synthetic
            epochs: 1
            grid:
              arch: [ffnn-100]
              lr: [0.001, 0.002]
            resources: {gpus_per_trial: 1}
            """);
        // After the coordinator's grace for workers still joining (10 s), the request is failed, not queued forever.
        await cluster.WaitForSweepAsync(sweepId, SweepStatus.Completed, SweepTimeout);

        var trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
        Assert.Equal(2, trials.Count);
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialStatus.Failed, t.Status);
            Assert.Equal(0, t.Attempts); // never claimed: no CPU worker trained it
            Assert.Null(t.Worker);
            Assert.Contains("none of the 1 live worker(s) has a CUDA device", t.Error, StringComparison.Ordinal);
        });
        Assert.Equal(0, await cluster.ScalarAsync("SELECT count(*) FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = @id", ("id", sweepId)));
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>A worker's name in the database: machine/pid (WorkerOptions.Name); `dotnet experiments.dll` runs in the launched process.</summary>
    internal static string WorkerName(NodeProcess worker) => $"{Environment.MachineName}/{worker.Pid}";
}
