using System.Globalization;
using Experiments.Contracts;
using Experiments.Store;

namespace Experiments.Visualization;

/// <summary>
/// The per-epoch table's columns and cells, written once for every place that shows it: the console table of
/// <c>train</c> and <c>results show</c>, and the HTML report. Those only lay the cells out, so an epoch reads the same
/// in each: epoch 0 is "0 (untrained)" with no time, a diverged epoch is "3 (diverged)", losses are in nats to 4
/// decimals (<see cref="MetricText.Loss"/>), accuracies are percentages (<see cref="PercentText"/>).
/// </summary>
public static class EpochRows
{
    /// <summary>The column names, in cell order; the last, "weights", only when <paramref name="withWeights"/>.</summary>
    public static IReadOnlyList<string> Columns(bool withWeights) =>
    [
        "epoch", "lr", "train loss", "train acc", "val loss", "val acc", "test loss", "test acc", "time", "img/s",
        .. withWeights ? ["weights"] : Array.Empty<string>(),
    ];

    /// <summary>
    /// One epoch's cells, in <see cref="Columns"/> order. With <paramref name="weightEpochs"/> (the epochs that kept a
    /// weight snapshot) a last cell says whether this one did (<see cref="MetricText.WeightsKept"/> or
    /// <see cref="MetricText.NoWeights"/>): under a snapshot cadence or after a prune an epoch keeps its figures but
    /// not its weights. Time is the seconds of training batches ("12.3 s") and images per second of training.
    /// </summary>
    public static IReadOnlyList<string> Cells(EpochRecord epoch, IReadOnlyCollection<int>? weightEpochs = null)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        var untrained = epoch.Epoch == 0;
        string[] cells =
        [
            Label(epoch), SettingText.Format(epoch.LearningRate),
            MetricText.Loss(epoch.Train?.Loss), PercentText.Format(epoch.Train?.Accuracy),
            MetricText.Loss(epoch.Validation?.Loss), PercentText.Format(epoch.Validation?.Accuracy),
            MetricText.Loss(epoch.Test?.Loss), PercentText.Format(epoch.Test?.Accuracy),
            untrained ? "–" : string.Create(CultureInfo.InvariantCulture, $"{epoch.Seconds:F1} s"),
            untrained ? "–" : epoch.ImagesPerSecond.ToString("N0", CultureInfo.InvariantCulture),
        ];
        return weightEpochs is null ? cells : [.. cells, weightEpochs.Contains(epoch.Epoch) ? MetricText.WeightsKept : MetricText.NoWeights];
    }

    /// <summary>Epoch 0 is the untrained model and a diverged epoch is marked, so neither is read as a trained result.</summary>
    public static string Label(EpochRecord epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        var number = epoch.Epoch.ToString(CultureInfo.InvariantCulture);
        return epoch.Epoch == 0 ? $"{number} (untrained)" : Diverged(epoch) ? $"{number} (diverged)" : number;
    }

    /// <summary>
    /// Whether this is the epoch in which training diverged: the trainer stops a run at the first train or validation
    /// loss that is not finite, and records that epoch with it (and no snapshot).
    /// </summary>
    public static bool Diverged(EpochRecord epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        return epoch.Train is { Loss: var train } && !double.IsFinite(train) || epoch.Validation is { Loss: var validation } && !double.IsFinite(validation);
    }
}
