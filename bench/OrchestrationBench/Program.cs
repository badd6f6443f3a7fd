using System.Diagnostics;
using System.Globalization;
using Experiments.Bench;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Node;

// Orchestration overhead (bench/README.md, "Orchestration"): a sweep of short trials through the real coordinator
// and worker, on an in-process Orleans silo, against the same trials in a plain loop; then the slot
// layout of this machine (2 slots × 1 thread against 1 slot × 2 threads).

// The issue's targets.
const double inProcessTarget = 0.03; // issue #10: under 3% on the in-process silo
const double clusterTarget = 0.05; // and under 5% on a 3-silo loopback cluster
const double recoveryTargetSeconds = 5; // kill -9 of a worker to its trial training elsewhere
const double submitTargetSeconds = 5; // 10,000 trials validated, written and queued
const double statusTargetSeconds = 0.2; // `sweep status` on them

var (parsed, exitCode) = ArgumentReader.Parse(args, OrchestrationBenchOptions.Parse);
if (parsed is not { } options) return exitCode;

if (SingleBlasThread.RelaunchIfNeeded(args) is { } relaunched) return relaunched;

var ct = CancellationToken.None;
var scratch = Directory.CreateTempSubdirectory("orchestration-bench-").FullName;
try
{
    var clock = Stopwatch.StartNew();
    await using var cluster = await PrivateCluster.StartAsync();
    await using var store = await ResultsStore.OpenAsync(cluster.ConnectionString);
    var connection = cluster.ConnectionString;
    Console.WriteLine($"engine: {EngineRuntime.Description}; OPENBLAS_NUM_THREADS=1; {Environment.ProcessorCount} cores; load average {LoadAverage()}");
    Console.WriteLine($"store: a private PostgreSQL cluster in {cluster.DataDirectory} (started and migrated in {clock.Elapsed.TotalSeconds:0.0} s; " +
                      "stopped and deleted at the end)");

    var datasets = new DatasetCache(scratch);
    var sweep = BenchSweep.Create("orchestration-bench", options.Model, options.Trials, epochs: 1, options.BatchSize, seed: 1);
    var worker = new WorkerOptions { Slots = options.Slots, ThreadsPerSlot = options.Threads, Home = scratch };

    if (!options.SkipOverhead)
    {
        Console.WriteLine($"sweep: {options.Trials} trials of {options.Model}, 1 epoch each on the synthetic dataset (4,500 train / 500 validation / " +
                          $"1,000 test, 1×28×28), batch {options.BatchSize}, Adam, lr log-uniform in [1e-4, 1e-2]; every epoch (0 and 1) recorded " +
                          $"with its snapshot; {options.Slots} slot(s) × {options.Threads} thread(s) on every side");
        // Warm-up, untimed: JIT, libtorch's first use, the dataset, Orleans, the store's prepared statements.
        Console.WriteLine("\nwarming up (a small sweep through the system, one trial in the plain loop) …");
        var warmup = BenchSweep.Create("warmup", options.Model, options.Slots, epochs: 1, options.BatchSize, seed: 1000);
        await SweepRuns.ThroughSystemAsync("warm-up", store, connection, warmup, worker with { Name = $"bench-warmup/{Environment.ProcessId}" }, ct);
        await SweepRuns.InPlainLoopAsync("warm-up", store, connection, BenchSweep.Create("warmup-loop", options.Model, 1, 1, options.BatchSize, 2000),
            1, options.Threads, datasets, ct);

        // The machine may be shared, so its load drifts during a run. Each round runs every mode once, back to back, and
        // the rounds alternate the order (loop, in-process, then in-process, loop, …) so that a steady
        // drift weighs on every mode alike. Each mode's figure is the sum of its rounds.
        var modes = new List<Mode>
        {
            new("plain loop", null, round => SweepRuns.InPlainLoopAsync("plain loop", store, connection, sweep, options.Slots, options.Threads, datasets, ct)),
            new("system, in-process silo", inProcessTarget, round => SweepRuns.ThroughSystemAsync("system, in-process silo", store, connection, sweep,
                worker with { Name = $"bench-inprocess-{round}/{Environment.ProcessId}" }, ct)),
        };
        // The cluster's silos are started (and warmed with a two-trial sweep) for each of its rounds and stopped after
        // it, so that idle silos never share the machine with the other modes.
        if (!options.SkipCluster)
            modes.Add(new("system, 3-silo cluster", clusterTarget, round => ClusterRuns.ThroughClusterAsync("system, 3-silo cluster", store, connection, sweep,
                BenchSweep.Create($"cluster-warmup-{round}", options.Model, 2, 1, options.BatchSize, 1000 + round), options.Slots, scratch, ct)));
        var results = modes.ToDictionary(m => m.Label, _ => new List<RunResult>());
        for (var round = 0; round < options.Rounds; round++)
        {
            Console.WriteLine($"round {round + 1} of {options.Rounds}:");
            foreach (var mode in round % 2 == 0 ? modes : Enumerable.Reverse(modes))
            {
                var run = await mode.Run(round);
                results[mode.Label].Add(run);
                Report(run);
            }
        }

        var reference = results["plain loop"].Sum(r => r.WallSeconds);
        Console.WriteLine();
        Console.WriteLine($"Orchestration overhead: {options.Trials} trials per sweep, {options.Slots} slot(s) × {options.Threads} thread(s), {options.Rounds} round(s).");
        Console.WriteLine("Wall time from submit to the sweep closed (system; the node was started and its worker registered before the clock started)");
        Console.WriteLine("or from the first trial to the last (plain loop), summed over the rounds; per round in brackets. Overhead = wall / the plain");
        Console.WriteLine("loop's wall − 1. 'queued→running' is started_at − queued_at of each trial's final attempt (queued at submit, so it is");
        Console.WriteLine("mostly waiting for a slot); 'hand-off' is how long a freed slot stayed empty before the next trial started (all rounds).");
        Console.WriteLine($"{"run",-22} {"wall",9} {"per round",-20} {"overhead",9} {"target",7} {"verdict",8} {"queued→running p50",19} {"p95",8} {"hand-off p50",13} {"p95",7} {"retried",8}");
        foreach (var mode in modes)
        {
            var runs = results[mode.Label];
            var wall = runs.Sum(r => r.WallSeconds);
            var overhead = wall / reference - 1;
            var queued = runs.SelectMany(r => r.Trials).Select(t => t.QueuedToRunningSeconds).ToList();
            var handOff = runs.SelectMany(r => r.HandOffSeconds(options.Slots)).ToList();
            var target = mode.Target;
            Console.WriteLine($"{mode.Label,-22} {SweepRuns.Seconds(wall),9} {"(" + string.Join(", ", runs.Select(r => r.WallSeconds.ToString("0.0", CultureInfo.InvariantCulture))) + ")",-20} " +
                              $"{(target is null ? "" : Percent(overhead)),9} {(target is { } t1 ? "< " + Percent(t1, 0) : ""),7} " +
                              $"{(target is { } t2 ? overhead < t2 ? "met" : "NOT met" : ""),8} " +
                              $"{(target is null ? "" : SweepRuns.Seconds(Statistics.Median(queued))),19} {(target is null ? "" : SweepRuns.Seconds(SweepRuns.Percentile(queued, 0.95))),8} " +
                              $"{SweepRuns.Milliseconds(Statistics.Median(handOff)),13} {SweepRuns.Milliseconds(SweepRuns.Percentile(handOff, 0.95)),7} " +
                              $"{runs.Sum(r => r.Trials.Count(t => t.Attempts > 1)),8}");
        }
        // Wall times swing with the machine's load; the hand-offs do not depend on it as much. The time the system's
        // hand-offs add over the loop's, per slot, as a share of the loop's wall time, is a second, steadier estimate.
        var loopHandOff = results["plain loop"].SelectMany(r => r.HandOffSeconds(options.Slots)).DefaultIfEmpty(0).Average();
        foreach (var mode in modes.Where(m => m.Target is not null))
        {
            var extra = results[mode.Label].Sum(r => r.HandOffSeconds(options.Slots).Sum() - loopHandOff * r.HandOffSeconds(options.Slots).Count) / options.Slots;
            Console.WriteLine($"{mode.Label}: its hand-offs add {SweepRuns.Seconds(extra)} per slot over the loop's (mean {SweepRuns.Milliseconds(loopHandOff)}), " +
                              $"{Percent(extra / reference)} of the loop's wall time (an estimate from the hand-offs, steadier under load than the walls)");
        }
        foreach (var mode in modes.Where(m => m.Target is not null))
            Console.WriteLine($"node start-up of {mode.Label} (not in the wall time): median {SweepRuns.Seconds(Statistics.Median(results[mode.Label].Select(r => r.StartupSeconds)))}");

    }

    // ---- 2: the slot layout ---------------------------------------------------------------------------------------
    if (!options.SkipSlots)
    {
        Console.WriteLine();
        Console.WriteLine($"Slots: {options.SlotTrials} trials of {options.SlotModel}, {options.SlotEpochs} epoch(s) each on the synthetic dataset, through the " +
                          "system (in-process Orleans silo), in two layouts of this machine's cores …");
        var slotSweep = BenchSweep.Create("slots", options.SlotModel, options.SlotTrials, options.SlotEpochs, options.BatchSize, seed: 3000);
        // Warm the bigger model once so neither layout pays its first use.
        await SweepRuns.InPlainLoopAsync("warm-up", store, connection, BenchSweep.Create("slots-warmup", options.SlotModel, 1, 1, options.BatchSize, 4000),
            1, 1, datasets, ct);
        var layouts = new List<(int Slots, int Threads, RunResult Run)>();
        foreach (var (slots, threads) in new[] { (2, 1), (1, 2) })
        {
            var run = await SweepRuns.ThroughSystemAsync($"{slots} slot(s) × {threads} thread(s)", store, connection, slotSweep,
                new WorkerOptions { Slots = slots, ThreadsPerSlot = threads, Home = scratch, Name = $"bench-slots-{slots}x{threads}/{Environment.ProcessId}" }, ct);
            layouts.Add((slots, threads, run));
            Report(run);
        }
        var fastest = layouts.MinBy(l => l.Run.WallSeconds);
        Console.WriteLine($"{"layout",-24} {"wall",9} {"trials/min",11} {"vs fastest",11}");
        foreach (var (_, _, run) in layouts)
            Console.WriteLine($"{run.Label,-24} {SweepRuns.Seconds(run.WallSeconds),9} {run.Trials.Count / run.WallSeconds * 60,11:0.0} " +
                              $"{run.WallSeconds / fastest.Run.WallSeconds,10:0.00}×");
    }

    // ---- 3: recovery from a worker's kill -9 ------------------------------------------------------------------------
    if (!options.SkipRecovery)
    {
        Console.WriteLine();
        Console.WriteLine($"Recovery: {options.Kills} kill -9s of a worker silo mid-trial, on a loopback cluster (a coordinator and two one-slot workers, " +
                          "the documented failure detection and 30 s lease); the clock runs from the kill to the trial running again on the other worker …");
        var recoveries = await ClusterRuns.RecoveryAsync(store, connection, options.Kills, scratch, ct);
        var seconds = recoveries.Select(r => r.Seconds).ToList();
        var (median, max) = (Statistics.Median(seconds), seconds.Max());
        Console.WriteLine($"recovery over {seconds.Count} kills: median {SweepRuns.Seconds(median)}, max {SweepRuns.Seconds(max)} (target < {recoveryTargetSeconds:0} s: " +
                          $"{(max < recoveryTargetSeconds ? "met" : median < recoveryTargetSeconds ? "met at the median, NOT at the max" : "NOT met")}); " +
                          $"{recoveries.Count(r => r.TakenBackBecause.Contains("declared dead", StringComparison.Ordinal))} taken back by membership, " +
                          $"{recoveries.Count(r => r.TakenBackBecause.Contains("stopped heartbeating", StringComparison.Ordinal))} by the lease");
    }

    // ---- 4: scale of submit and status --------------------------------------------------------------------------
    if (!options.SkipScale)
    {
        Console.WriteLine();
        Console.WriteLine($"Scale: a sweep of {options.ScaleTrials:N0} trials through `experiments sweep submit FILE --force --db …` into an empty database " +
                          "(no silo up), then `sweep status` on it, 5 times …");
        var scale = await ClusterRuns.ScaleAsync(cluster, options.ScaleTrials, scratch, ct);
        var statusMedian = Statistics.Median(scale.StatusWallSeconds);
        var queryMedian = Statistics.Median(scale.StatusQuerySeconds);
        Console.WriteLine($"submit: id printed after {SweepRuns.Seconds(scale.SubmitToIdSeconds)} (target < {submitTargetSeconds:0} s: " +
                          $"{(scale.SubmitToIdSeconds < submitTargetSeconds ? "met" : "NOT met")}; .NET start-up included); the command exited after " +
                          $"{SweepRuns.Seconds(scale.SubmitWallSeconds)} (it waits up to 10 s for a coordinator to wake); the store alone took " +
                          $"{SweepRuns.Seconds(scale.StoreSeconds)} to validate, expand and write the same number of trials in this process");
        Console.WriteLine($"sweep status: `./experiments sweep status` {SweepRuns.Milliseconds(statusMedian)} median ({string.Join(", ", scale.StatusWallSeconds.Select(SweepRuns.Milliseconds))}; " +
                          $"the launcher's checks and the native program), against the CLI alone {SweepRuns.Milliseconds(Statistics.Median(scale.StatusCliWallSeconds))} median " +
                          $"({statusMedian / Statistics.Median(scale.StatusCliWallSeconds):0.00}x; .NET start-up included); its queries {SweepRuns.Milliseconds(queryMedian)} median " +
                          $"(target < {statusTargetSeconds * 1000:0} ms: the command {(statusMedian < statusTargetSeconds ? "met" : "NOT met")}, " +
                          $"its queries {(queryMedian < statusTargetSeconds ? "met" : "NOT met")})");
    }

    Console.WriteLine($"\nload average at the end: {LoadAverage()}");
    return 0;
}
finally
{
    Directory.Delete(scratch, recursive: true);
}

static void Report(RunResult run)
{
    var statuses = string.Join(", ", run.Trials.GroupBy(t => t.Status).Select(g => $"{g.Count()} {g.Key}"));
    Console.WriteLine($"  {run.Label}: {SweepRuns.Seconds(run.WallSeconds)} for {run.Trials.Count} trials ({statuses}); load average {LoadAverage()}");
    if (run.Trials.Any(t => t.Status != "completed"))
        throw new InvalidOperationException($"{run.Label}: not every trial completed ({statuses}); the timing would not compare like with like");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "?";

static string Percent(double share, int decimals = 1) => share.ToString(decimals == 0 ? "0%" : "0.0%", CultureInfo.InvariantCulture);

/// <summary>One way of running the sweep: a label, its overhead target (none for the baseline), and how to run round N.</summary>
internal sealed record Mode(string Label, double? Target, Func<int, Task<RunResult>> Run);
