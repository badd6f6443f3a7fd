using System.Collections.Concurrent;
using System.Globalization;
using Experiments.Contracts;
using Experiments.Store;
using Experiments.Worker.Node;
using Experiments.Worker.Training;
using Spectre.Console;

namespace Experiments.Silo.Rendering;

/// <summary>
/// Shows a running sweep: on a terminal, one bar for the whole sweep (in epochs, with an ETA) and one per running
/// trial; elsewhere (CI logs, pipes), one line per finished trial.
/// </summary>
public sealed class SweepProgress : ITrialProgress
{
    private readonly ProgressContext? _context;
    private readonly ProgressTask? _sweep;
    private readonly ConcurrentDictionary<long, (ProgressTask? Task, string Label, int Epochs)> _trials = new();
    private int _finished;
    private readonly int _trialCount;

    private SweepProgress(ProgressContext? context, string name, int trialCount, int totalEpochs)
    {
        _context = context;
        _trialCount = trialCount;
        _sweep = context?.AddTask(Markup.Escape($"{name}: 0/{trialCount} trials"), maxValue: Math.Max(1, totalEpochs));
    }

    public static async Task<T> WatchAsync<T>(string name, int trialCount, int totalEpochs, Func<SweepProgress, Task<T>> run)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            return await run(new SweepProgress(null, name, trialCount, totalEpochs));
        return await AnsiConsole.Progress().AutoClear(false).HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(context => run(new SweepProgress(context, name, trialCount, totalEpochs)));
    }

    public void Started(TrialClaim trial, int epochs, int resumedAfterEpoch)
    {
        var label = $"trial {trial.TrialId} {trial.Label}";
        var task = _context?.AddTask(Markup.Escape(label), maxValue: epochs);
        if (task is not null) task.Value = resumedAfterEpoch;
        _trials[trial.TrialId] = (task, label, epochs);
        _sweep?.Increment(resumedAfterEpoch);
    }

    public void Batches(long trialId, BatchProgress progress)
    {
        if (!_trials.TryGetValue(trialId, out var trial) || trial.Task is null) return;
        trial.Task.Value = progress.Epoch - 1 + (double)progress.BatchesDone / Math.Max(1, progress.TotalBatches);
        trial.Task.Description = Markup.Escape($"{trial.Label}  epoch {progress.Epoch}/{trial.Epochs}  loss {progress.RunningLoss:F4}");
    }

    public void EpochCompleted(long trialId, EpochMetrics metrics)
    {
        if (metrics.Epoch == 0 || !_trials.TryGetValue(trialId, out var trial)) return;
        _sweep?.Increment(1);
        if (trial.Task is not null)
        {
            trial.Task.Value = metrics.Epoch;
            trial.Task.Description = Markup.Escape($"{trial.Label}  epoch {metrics.Epoch}/{trial.Epochs}  val acc {PercentText.Format(metrics.Validation?.Accuracy)}");
        }
    }

    public void Ended(long trialId, TrialStatus status, string? message)
    {
        var finished = Interlocked.Increment(ref _finished);
        _trials.TryRemove(trialId, out var trial);
        var line = $"{trial.Label ?? $"trial {trialId}"}: {status.ToText()}{(message is null ? "" : " (" + message + ")")}";
        if (_context is null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{finished}/{_trialCount}] {line}"));
            return;
        }
        if (trial.Task is not null) trial.Task.StopTask();
        if (_sweep is not null)
        {
            if (status != TrialStatus.Completed && trial.Epochs > 0) _sweep.MaxValue = Math.Max(_sweep.Value, _sweep.MaxValue - Math.Max(0, trial.Epochs - (trial.Task?.Value ?? 0)));
            _sweep.Description = Markup.Escape($"sweep: {finished}/{_trialCount} trials");
        }
    }
}
