using System.Globalization;
using Experiments.Bench;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Node;

// The seed grid against Optuna (bench/README.md, "Grid against Optuna"): first where one lenet-matconvnet trial's epoch
// time goes (training batches, evaluation, recording), then the grid {ffnn-100, lenet-matconvnet} × lr × weight decay
// on the 10,000 real MNIST digits through our sweep and through Optuna's GridSampler, both on the same PostgreSQL server.

// The issue's targets.
const double outsideTrainingTarget = 0.10;
const double wallRatioTarget = 1.0;

var (parsed, exitCode) = ArgumentReader.Parse(args, GridBenchOptions.Parse);
if (parsed is not { } options) return exitCode;

if (SingleBlasThread.RelaunchIfNeeded(args) is { } relaunched) return relaunched;

var ct = CancellationToken.None;
var scratch = Directory.CreateTempSubdirectory("grid-bench-").FullName;
try
{
    await using var cluster = await PrivateCluster.StartAsync();
    await using var store = await ResultsStore.OpenAsync(cluster.ConnectionString);
    Console.WriteLine($"engine: {EngineRuntime.Description}; OPENBLAS_NUM_THREADS=1; {Environment.ProcessorCount} cores; load average {MachineLoad.Average()}");
    Console.WriteLine($"store: a private PostgreSQL cluster in {cluster.DataDirectory} (stopped and deleted at the end)");

    // The user's dataset cache (fetched there on first use, as `train` does); the results go to the private cluster.
    var home = ExperimentsHome.Resolve();
    var data = new DatasetCache(home).Get("mnist", DatasetSplits.DefaultValidationFraction, options.Limit);
    Console.WriteLine($"data: MNIST from {home}: {data.Train.Count:N0} train / {data.Validation.Count:N0} validation / {data.Test.Count:N0} test images");

    if (!options.SkipProfile)
    {
        // The unpipelined baseline first, then the pipelined recording workers use, in the same run.
        var baseline = Trained(await EpochProfile.RunAsync(store, data, options, pipelined: false, ct));
        var trained = Trained(await EpochProfile.RunAsync(store, data, options, pipelined: true, ct));
        var share = trained.Sum(e => e.Outside) / trained.Sum(e => e.Wall);
        var byCpu = trained.Sum(e => e.EvaluationCpu + e.Recording) / trained.Sum(e => e.CpuWall);
        Console.WriteLine($"\npipelined / unpipelined: trained epochs' wall {trained.Sum(e => e.Wall) / baseline.Sum(e => e.Wall):0.00}×, time outside training " +
                          $"{trained.Sum(e => e.Outside) / baseline.Sum(e => e.Outside):0.00}× (unpipelined share {baseline.Sum(e => e.Outside) / baseline.Sum(e => e.Wall):P1})");
        Console.WriteLine($"target: evaluation + recording under {outsideTrainingTarget:P0} of a trained epoch's wall time: " +
                          $"{(share < outsideTrainingTarget ? "met" : "NOT met")} ({share:P1}); by CPU time, which a loaded machine does not inflate: " +
                          $"{(byCpu < outsideTrainingTarget ? "met" : "NOT met")} ({byCpu:P1})");
    }
    if (options.SkipGrid) return 0;

    Console.WriteLine($"\ngrid: {string.Join(", ", options.Architectures)} × lr {{{string.Join(", ", options.LearningRates)}}} × weight decay " +
                      $"{{{string.Join(", ", options.WeightDecays)}}} = {options.GridPoints} trials of {options.Epochs} epochs, batch {options.BatchSize}, Adam; " +
                      $"{options.Slots} slots × {options.Threads} thread(s) (ours) against {options.Slots} Optuna workers with torch.set_num_threads({options.Threads}); " +
                      $"every epoch, 0 included, evaluates the first {new Experiments.Worker.Training.TrainingSettings().TrainSampleSize(data):N0} training images, validation and test on both sides");
    var inputs = options.SkipOptuna ? null : OptunaInputs.Write(Path.Combine(scratch, "optuna"), data, options);
    var ours = new List<GridRun>();
    var unpipelined = new List<GridRun>();
    var optuna = new List<GridRun>();
    for (var round = 0; round < options.Rounds; round++)
    {
        Console.WriteLine($"round {round + 1} of {options.Rounds}:");
        // Alternating the order spreads a drift in the machine's load over both sides.
        var sides = new List<Func<Task>> { async () => ours.Add(Report(await GridRuns.OursAsync(store, cluster.ConnectionString, options, home, round, ct))) };
        if (options.ComparePipelining)
            sides.Add(async () => unpipelined.Add(Report(await GridRuns.OursAsync(store, cluster.ConnectionString, options, home, round, ct, pipelined: false))));
        if (inputs is not null)
            sides.Add(async () => optuna.Add(Report(await GridRuns.OptunaAsync(cluster, inputs, options, round, ct))));
        if (round % 2 == 1) sides.Reverse();
        foreach (var side in sides) await side();
    }

    Console.WriteLine();
    Console.WriteLine("| side | wall (all rounds) | per round | overhead per trial | of which inside a trial | grid points run, per round |");
    Console.WriteLine("| --- | ---: | --- | ---: | ---: | --- |");
    Summary("ours", ours);
    if (unpipelined.Count > 0) Summary("ours, unpipelined", unpipelined);
    if (optuna.Count > 0)
    {
        Summary("Optuna", optuna);
        var ratio = ours.Sum(r => r.WallSeconds) / optuna.Sum(r => r.WallSeconds);
        Console.WriteLine($"\nours / Optuna wall time: {ratio:0.00}× (target ≤ {wallRatioTarget:0.0}×: {(ratio <= wallRatioTarget ? "met" : "NOT met")}); " +
                          $"our coverage: {Coverage(ours)}; " +
                          $"Optuna's: {string.Join(", ", optuna.Select(r => $"{r.DistinctPoints}/{options.GridPoints}"))}");
    }
    if (unpipelined.Count > 0)
    {
        var ratio = ours.Sum(r => r.WallSeconds) / unpipelined.Sum(r => r.WallSeconds);
        Console.WriteLine($"\npipelined / unpipelined wall time of our grid: {ratio:0.00}× ({ours.Sum(r => r.WallSeconds):0.0} s against " +
                          $"{unpipelined.Sum(r => r.WallSeconds):0.0} s over {options.Rounds} round(s)); coverage: pipelined {Coverage(ours)}, unpipelined {Coverage(unpipelined)}");
    }
    Console.WriteLine($"load average at the end: {MachineLoad.Average()}");
    return 0;
}
finally
{
    Directory.Delete(scratch, recursive: true);
}

string Coverage(IReadOnlyList<GridRun> runs) =>
    runs.All(r => r.DistinctPoints == options.GridPoints && r.Completed == options.GridPoints)
        ? "every grid point in every round"
        : "INCOMPLETE: " + string.Join(", ", runs.Select(r => $"{r.DistinctPoints}/{options.GridPoints}"));

static List<EpochPhases> Trained(IReadOnlyList<EpochPhases> epochs) => [.. epochs.Where(e => e.Epoch > 0)];

GridRun Report(GridRun run)
{
    Console.WriteLine($"  {run.Side}: {run.WallSeconds:0.0} s, {run.Completed} of {run.Trials} trials completed, {run.DistinctPoints} of {options.GridPoints} grid points run; " +
                      $"load average {MachineLoad.Average()}");
    return run;
}

void Summary(string side, IReadOnlyList<GridRun> runs) =>
    Console.WriteLine($"| {side} | {runs.Sum(r => r.WallSeconds):0.0} s | {string.Join(", ", runs.Select(r => r.WallSeconds.ToString("0.0", CultureInfo.InvariantCulture)))} s | " +
                      $"{runs.Average(r => r.OverheadPerTrial(options.Slots)):0.00} s | {runs.Average(r => r.InTrialOverhead):0.00} s | " +
                      $"{string.Join(", ", runs.Select(r => $"{r.DistinctPoints}/{options.GridPoints} ({r.Trials} trials)"))} |");
