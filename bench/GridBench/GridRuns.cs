using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Experiments.Architectures;
using Experiments.Coordinator;
using Experiments.Coordinator.Orchestration;
using Experiments.Datasets;
using Experiments.Silo.Hosting;
using Experiments.Store;
using Experiments.Worker.Node;
using Experiments.Worker.Training;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Experiments.Bench;

/// <summary>
/// One side's run of the grid. <paramref name="BusySeconds"/> is the time its trials spent training and evaluating
/// (summed over trials), <paramref name="TrialSeconds"/> each trial's own wall time (start to end as its storage recorded
/// it); <paramref name="DistinctPoints"/> how many grid points at least one completed trial ran.
/// </summary>
internal sealed record GridRun(string Side, double WallSeconds, int Trials, int Completed, int DistinctPoints, double BusySeconds, IReadOnlyList<double> TrialSeconds)
{
    /// <summary>
    /// Everything but training and evaluation, per trial: slot-seconds (wall × slots) not spent in a trial's training
    /// batches or evaluation, spread over the trials. It covers start-up, dispatch, recording and idle slots at the end.
    /// </summary>
    public double OverheadPerTrial(int slots) => (WallSeconds * slots - BusySeconds) / Math.Max(1, Trials);

    /// <summary>Inside a trial: its wall time minus its training and evaluation, on average.</summary>
    public double InTrialOverhead => (TrialSeconds.Sum() - BusySeconds) / Math.Max(1, Trials);
}

internal static class GridRuns
{
    /// <summary>
    /// Our side: the grid as a sweep file, run as `sweep run` runs it (a coordinator and a worker with
    /// <see cref="GridBenchOptions.Slots"/> × <see cref="GridBenchOptions.Threads"/> in this process, in-memory bus),
    /// timed from building the node to the sweep being closed.
    /// </summary>
    /// <param name="pipelined">Whether each epoch's write overlaps the next epoch's training, as workers record; false for
    /// the unpipelined baseline (--compare-pipelining), where each write commits before the next epoch trains.</param>
    public static async Task<GridRun> OursAsync(ResultsStore store, string connectionString, GridBenchOptions options, string home, int round,
        CancellationToken ct, bool pipelined = true)
    {
        var name = pipelined ? $"grid-bench-{round}" : $"grid-bench-unpipelined-{round}";
        var text = $"""
            name: {name}
            dataset: mnist
            epochs: {options.Epochs}
            batch_size: {options.BatchSize}
            optimizer: adam
            val_split: {DatasetSplits.DefaultValidationFraction.ToString(CultureInfo.InvariantCulture)}
            limit: {options.Limit}
            metric: {"{"}name: val_accuracy, goal: maximize{"}"}
            grid:
              arch: [{string.Join(", ", options.Architectures)}]
              lr: [{string.Join(", ", options.LearningRates)}]
              weight_decay: [{string.Join(", ", options.WeightDecays)}]
            seed: {round + 1}
            """;
        var spec = SweepReader.Parse(text, name + ".yaml", new SweepLimits(Force: true));
        var worker = new WorkerOptions
        {
            Slots = options.Slots, ThreadsPerSlot = options.Threads, Home = home, Name = $"{name}/{Environment.ProcessId}", PipelinedRecording = pipelined,
        };
        var settings = NodeSettings.InProcess(worker);
        var busy = new BusyClock();

        var clock = Stopwatch.StartNew();
        using var host = ExperimentsNode.Build(store, settings, busy, LogLevel.Warning);
        await host.StartAsync(ct);
        double wall;
        long sweepId;
        try
        {
            while ((await store.CapacityAsync(settings.Coordinator.WorkerLiveWithin, ct)).Slots < worker.Slots) await Task.Delay(20, ct);
            sweepId = await SweepSubmission.SubmitAsync(store, spec, text, name + ".yaml", sweepSpan: null, ct);
            await ExperimentsNode.AnnounceAsync(host, sweepId, ct);
            SweepRow? row;
            do
            {
                await Task.Delay(20, ct);
                row = await store.GetSweepAsync(sweepId, ct);
            } while (row is not null && row.Status == SweepStatus.Running);
            wall = clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*)::int, count(*) FILTER (WHERE status = 'completed')::int,
                   count(DISTINCT (architecture, (hyperparameters->>'lr')::float8, (hyperparameters->>'weight_decay')::float8))
                       FILTER (WHERE status = 'completed')::int,
                   coalesce(array_agg(extract(epoch FROM finished_at - started_at)::float8), '{}')
            FROM trials WHERE sweep_id = @sweep
            """, connection);
        command.Parameters.AddWithValue("sweep", sweepId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new GridRun(pipelined ? "ours" : "ours, unpipelined", wall, reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), busy.Seconds, reader.GetFieldValue<double[]>(3));
    }

    /// <summary>
    /// Optuna's side: optuna_grid.py with RDB storage in a database of its own on the same PostgreSQL server,
    /// GridSampler, <see cref="GridBenchOptions.Slots"/> worker processes of <c>torch.set_num_threads(Threads)</c>,
    /// each asking for its share of the grid's trials (n_trials = points / workers, rounded up), as a user splits a grid
    /// over workers. Coverage and duplicates are counted from its storage.
    /// </summary>
    public static async Task<GridRun> OptunaAsync(PrivateCluster cluster, OptunaInputs inputs, GridBenchOptions options, int round, CancellationToken ct)
    {
        var database = $"optuna_grid_{round}";
        var admin = cluster.AdminConnectionStringFor("postgres")
                    ?? throw new InvalidOperationException("the bench's PostgreSQL cluster is not running");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
        var builder = new NpgsqlConnectionStringBuilder(admin);
        var storage = $"postgresql+psycopg2://{Uri.EscapeDataString(builder.Username!)}:{Uri.EscapeDataString(builder.Password ?? "")}@" +
                      $"{builder.Host}:{builder.Port}/{database}";
        var trialsPerWorker = (options.GridPoints + options.Slots - 1) / options.Slots;
        var start = new ProcessStartInfo(options.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
                 {
                     inputs.Script, "run", "--data", inputs.Directory, "--grid", inputs.GridFile, "--storage", storage, "--study", $"grid-{round}",
                     "--workers", options.Slots.ToString(CultureInfo.InvariantCulture), "--trials-per-worker", trialsPerWorker.ToString(CultureInfo.InvariantCulture),
                     "--threads", options.Threads.ToString(CultureInfo.InvariantCulture), "--epochs", options.Epochs.ToString(CultureInfo.InvariantCulture),
                     "--batch", options.BatchSize.ToString(CultureInfo.InvariantCulture),
                     "--train-sample", inputs.TrainSample.ToString(CultureInfo.InvariantCulture),
                 })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {options.Python}");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var stdout = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"optuna_grid.py failed (exit code {process.ExitCode}): {(await stderr).Trim()}\n" +
                                                "It needs python3-torch, python3-optuna and python3-psycopg2 (the launcher installs them for `bench grid`).");
        var result = JsonSerializer.Deserialize<OptunaResult>(stdout.Trim().Split('\n')[^1], JsonOptions)
                     ?? throw new InvalidOperationException("optuna_grid.py printed no result");
        var finished = result.Trials.Where(t => t.Seconds is not null).ToList();
        return new GridRun("Optuna", result.WallSeconds, result.Trials.Count, result.Trials.Count(t => t.State == "COMPLETE"), result.DistinctPointsRun,
            finished.Sum(t => (t.TrainSeconds ?? 0) + (t.EvalSeconds ?? 0)), [.. finished.Select(t => t.Seconds!.Value)]);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record OptunaResult(double WallSeconds, IReadOnlyList<OptunaTrial> Trials, int GridPoints, int DistinctPointsRun, int Duplicates);

    private sealed record OptunaTrial(int Number, string State, double? Seconds, double? TrainSeconds, double? EvalSeconds);

    /// <summary>Sums every trial's training and evaluation time, from the progress the worker reports after each epoch.</summary>
    private sealed class BusyClock : ITrialProgress
    {
        private readonly ConcurrentDictionary<long, double> _byTrial = new();

        public double Seconds => _byTrial.Values.Sum();

        public void EpochCompleted(long trialId, EpochMetrics metrics) =>
            _byTrial.AddOrUpdate(trialId, metrics.Seconds + metrics.EvaluationSeconds, (_, s) => s + metrics.Seconds + metrics.EvaluationSeconds);
    }
}

/// <summary>
/// What optuna_grid.py reads: our splits as raw files (train/val/test .f32 and .i32, meta.json), the architectures as
/// canonical JSON planned for the data's shape (arch/NAME.json), and the grid (grid.json), in a scratch folder.
/// </summary>
/// <param name="TrainSample">The first this many training images are evaluated every epoch, as our trainer does.</param>
internal sealed record OptunaInputs(string Directory, string GridFile, string Script, int TrainSample)
{
    public static OptunaInputs Write(string directory, DatasetSplits data, GridBenchOptions options)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "arch"));
        foreach (var (name, images) in new[] { ("train", data.Train), ("val", data.Validation), ("test", data.Test) })
        {
            File.WriteAllBytes(Path.Combine(directory, name + ".f32"), MemoryMarshal.AsBytes(images.Pixels.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(directory, name + ".i32"), MemoryMarshal.AsBytes(images.Labels.AsSpan()).ToArray());
        }
        File.WriteAllText(Path.Combine(directory, "meta.json"), JsonSerializer.Serialize(new { shape = data.Train.SampleShape.Dims }));
        foreach (var name in options.Architectures)
        {
            var plan = ShapeInference.Plan(ArchitectureCatalog.Resolve(name), data.Train.SampleShape);
            File.WriteAllText(Path.Combine(directory, "arch", name + ".json"), ArchitectureWriter.ToJson(plan.PlannedArchitecture));
        }
        var grid = Path.Combine(directory, "grid.json");
        File.WriteAllText(grid, JsonSerializer.Serialize(new
        {
            arch = options.Architectures,
            lr = options.LearningRates.Select(Number),
            weight_decay = options.WeightDecays.Select(Number),
        }));
        return new OptunaInputs(directory, grid, RepositoryFile.Find(Path.Combine("bench", "GridBench", "optuna_grid.py")),
            new Experiments.Worker.Training.TrainingSettings().TrainSampleSize(data));
    }

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
