using Experiments.Contracts;
using Experiments.Worker.Engine;
using Experiments.Worker.Training;
using Spectre.Console;

namespace Experiments.Silo.Rendering;

/// <summary>
/// Shows a training run: on a terminal, one progress bar per epoch that ends with the epoch's figures; elsewhere
/// (CI logs, pipes), one plain line per epoch.
/// </summary>
public sealed class ConsoleTrainingObserver : ITrainingObserver
{
    private readonly int _epochs;
    private readonly ProgressContext? _progress;
    private ProgressTask? _current;

    private ConsoleTrainingObserver(int epochs, ProgressContext? progress) { _epochs = epochs; _progress = progress; }

    public static async Task<T> WatchAsync<T>(int epochs, Func<ITrainingObserver, Task<T>> run)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            return await run(new ConsoleTrainingObserver(epochs, null));
        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(context => run(new ConsoleTrainingObserver(epochs, context)));
    }

    public void OnEpochStarted(int epoch, long totalBatches) =>
        _current = _progress?.AddTask($"epoch {epoch}/{_epochs}", maxValue: Math.Max(1, totalBatches));

    public void OnBatches(BatchProgress progress)
    {
        if (_current is null) return;
        _current.Value = progress.BatchesDone;
        _current.Description = $"epoch {progress.Epoch}/{_epochs}  loss {progress.RunningLoss:F4}";
    }

    public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer)
    {
        if (_progress is null)
        {
            Console.WriteLine(EpochTable.Line(metrics, _epochs));
            return;
        }
        if (metrics.Epoch == 0)
        {
            _progress.AddTask(Markup.Escape($"epoch 0/{_epochs}  untrained: val acc {PercentText.Format(metrics.Validation?.Accuracy)}"), maxValue: 1).Value = 1;
            return;
        }
        if (_current is null) return;
        _current.Value = _current.MaxValue;
        _current.Description = Markup.Escape(
            $"epoch {metrics.Epoch}/{_epochs}  loss {metrics.Train?.Loss:F4}  val acc {PercentText.Format(metrics.Validation?.Accuracy)}  test acc {PercentText.Format(metrics.Test?.Accuracy)}");
    }
}
