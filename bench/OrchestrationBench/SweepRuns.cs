using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Experiments.Architectures;
using Experiments.Contracts;
using Experiments.Coordinator;
using Experiments.Coordinator.Orchestration;
using Experiments.Silo.Hosting;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Node;
using Experiments.Worker.Recording;
using Experiments.Worker.Training;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Experiments.Bench;

/// <summary>A sweep file written by the bench: N trials of one architecture, 1+ epochs on the synthetic dataset, lr drawn log-uniformly.</summary>
internal sealed record BenchSweep(string Name, string Text, SweepSpec Spec)
{
    public static BenchSweep Create(string name, string architecture, int trials, int epochs, int batchSize, int seed)
    {
        var text = $"""
            name: {name}
            dataset: synthetic
            arch: {architecture}
            epochs: {epochs}
            batch_size: {batchSize}
            metric: val_accuracy
            seed: {seed}
            random:
              samples: {trials}
              params:
                lr: {"{"}distribution: log_uniform, min: 1e-4, max: 1e-2{"}"}
            """;
        return new BenchSweep(name, text, SweepReader.Parse(text, name + ".yaml", new SweepLimits(Force: true)));
    }

    public IReadOnlyList<TrialSpec> Trials => SweepExpander.Expand(Spec);
}

/// <summary>When one trial was queued, started (its final attempt) and finished, as PostgreSQL recorded them.</summary>
internal sealed record TrialTimes(DateTimeOffset QueuedAt, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, int Attempts, string Status)
{
    public double QueuedToRunningSeconds => (StartedAt - QueuedAt).TotalSeconds;
}

/// <summary>One measured run: wall time, how long its node took to start, and every trial's timestamps.</summary>
internal sealed record RunResult(string Label, double WallSeconds, double StartupSeconds, IReadOnlyList<TrialTimes> Trials)
{
    /// <summary>
    /// The time a freed slot stayed empty: the k-th trial to start (k ≥ slots) could only start once k − slots + 1
    /// trials had finished, so its gap is its start minus the (k − slots)-th finish. This is the per-trial hand-off
    /// cost of whatever runs the trials (coordinator, bus and claim for the system; a loop iteration for the baseline).
    /// </summary>
    public IReadOnlyList<double> HandOffSeconds(int slots)
    {
        var starts = Trials.Select(t => t.StartedAt).Order().ToArray();
        var finishes = Trials.Select(t => t.FinishedAt).Order().ToArray();
        return [.. Enumerable.Range(slots, Math.Max(0, starts.Length - slots)).Select(k => (starts[k] - finishes[k - slots]).TotalSeconds)];
    }
}

internal static class SweepRuns
{
    /// <summary>
    /// The sweep through the real system: a node (coordinator and worker) is started and its worker has registered
    /// before the clock starts, as on a cluster whose silos are already up; the clock then covers submit, announce,
    /// every trial, and the sweep being closed, seen by polling the store as `sweep run` does.
    /// </summary>
    public static async Task<RunResult> ThroughSystemAsync(
        string label, ResultsStore store, string connectionString, BenchSweep sweep, WorkerOptions worker, CancellationToken ct)
    {
        var settings = NodeSettings.InProcess(worker);
        var startup = Stopwatch.StartNew();
        using var host = ExperimentsNode.Build(store, settings, progress: null, LogLevel.Warning);
        await host.StartAsync(ct);
        try
        {
            while ((await store.CapacityAsync(settings.Coordinator.WorkerLiveWithin, ct)).Slots < worker.Slots) await Task.Delay(20, ct);
            var startupSeconds = startup.Elapsed.TotalSeconds;

            var clock = Stopwatch.StartNew();
            var sweepId = await SweepSubmission.SubmitAsync(store, sweep.Spec, sweep.Text, sweep.Name + ".yaml", sweepSpan: null, ct);
            await ExperimentsNode.AnnounceAsync(host, sweepId, ct);
            SweepRow? row;
            do
            {
                await Task.Delay(20, ct);
                row = await store.GetSweepAsync(sweepId, ct);
            } while (row is not null && row.Status == SweepStatus.Running);
            var wall = clock.Elapsed.TotalSeconds;
            var trials = await TimesAsync(connectionString, "t.sweep_id = @id", new NpgsqlParameter("id", sweepId), ct);
            return new RunResult(label, wall, startupSeconds, trials);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The baseline: the same trials in a plain loop, <paramref name="slots"/> loops at once on their own threads, each
    /// trial built from its hyperparameters exactly as <see cref="SweepTrialRun"/> builds it and recorded by
    /// <see cref="RecordedTrial"/> (trial row, running, every epoch with its snapshot, finished) in the same store.
    /// </summary>
    public static async Task<RunResult> InPlainLoopAsync(
        string label, ResultsStore store, string connectionString, BenchSweep sweep, int slots, int threads, DatasetCache datasets, CancellationToken ct)
    {
        var queue = new ConcurrentQueue<TrialSpec>(sweep.Trials);
        var ids = new ConcurrentBag<long>();
        var since = await ServerNowAsync(connectionString, ct);
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, slots).Select(_ => Task.Factory.StartNew(() =>
        {
            while (queue.TryDequeue(out var trial))
            {
                var hyper = TrialHyperparameters.FromJson(SweepSubmission.Queued(trial).Definition.HyperparametersJson);
                var data = datasets.Get(trial.Dataset, hyper.ValSplit);
                var plan = ShapeInference.Plan(trial.Architecture, data.Train.SampleShape);
                var settings = TrainingSettings.For(hyper, trial.Seed, threads);
                var (_, result) = RecordedTrial.RunAsync(store, plan, trial.Dataset, data, settings, hyper.ValSplit, Device.Cpu, cancellation: ct)
                    .GetAwaiter().GetResult();
                if (result.Outcome != TrainingOutcome.Completed) throw new InvalidOperationException($"baseline trial {trial.Label} ended {result.Outcome}: {result.Message}");
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(loops);
        var wall = clock.Elapsed.TotalSeconds;
        // The baseline's trials are the only ones without a sweep that started after the clock did.
        var trials = await TimesAsync(connectionString, "t.sweep_id IS NULL AND t.queued_at >= @since", new NpgsqlParameter("since", since), ct);
        return new RunResult(label, wall, 0, trials);
    }

    public static async Task<IReadOnlyList<TrialTimes>> TimesAsync(string connectionString, string where, NpgsqlParameter parameter, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            // A first attempt was queued when its sweep was created (one transaction, so the same now()). The sweep's
            // created_at stands in for trials.queued_at there, because EndAttemptAsync also sets queued_at when an attempt
            // completes; trials.queued_at is kept for later attempts (re-queued) and for the baseline's trials (no sweep).
            $"""
            SELECT CASE WHEN t.attempts = 1 AND s.id IS NOT NULL THEN s.created_at ELSE t.queued_at END, t.started_at, t.finished_at, t.attempts, t.status
            FROM trials t LEFT JOIN sweeps s ON s.id = t.sweep_id WHERE {where} ORDER BY t.id
            """, connection);
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var times = new List<TrialTimes>();
        while (await reader.ReadAsync(ct))
            times.Add(new TrialTimes(reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetInt32(3), reader.GetString(4)));
        return times;
    }

    private static async Task<DateTime> ServerNowAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT now()", connection);
        return (DateTime)(await command.ExecuteScalarAsync(ct))!;
    }

    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        // Nearest rank: the smallest value with at least p of the values at or below it.
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string Seconds(double s) => s.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    public static string Milliseconds(double s) => (s * 1000).ToString("0", CultureInfo.InvariantCulture) + " ms";
}
