using System.Globalization;
using Experiments.Contracts;
using Experiments.Worker.Training;
using Spectre.Console;

namespace Experiments.Silo.Rendering;

/// <summary>The per-epoch table: train / validation / test loss and accuracy, time and throughput.</summary>
public static class EpochTable
{
    /// <summary>
    /// The table, with a "weights" column (<see cref="MetricText.WeightsKept"/> or <see cref="MetricText.NoWeights"/>) when
    /// <paramref name="weightEpochs"/>, the epochs that kept a weight snapshot, is given: under a snapshot cadence or
    /// after a prune, the figures of an epoch remain but not its weights.
    /// </summary>
    public static Table Build(IEnumerable<EpochMetrics> epochs, IReadOnlyCollection<int>? weightEpochs = null)
    {
        var table = new Table().RoundedBorder()
            .AddColumn("epoch").AddColumn("lr")
            .AddColumn("train loss").AddColumn("train acc")
            .AddColumn("val loss").AddColumn("val acc")
            .AddColumn("test loss").AddColumn("test acc")
            .AddColumn("time").AddColumn("img/s");
        if (weightEpochs is not null) table.AddColumn(new TableColumn("weights").Centered());
        foreach (var column in table.Columns.Skip(1).Take(9)) column.RightAligned();
        foreach (var e in epochs)
        {
            string[] cells =
            [
                Epoch(e), SettingText.Format(e.LearningRate),
                Loss(e.Train), Accuracy(e.Train), Loss(e.Validation), Accuracy(e.Validation), Loss(e.Test), Accuracy(e.Test),
                e.Epoch == 0 ? "–" : $"{e.Seconds:F1} s", e.Epoch == 0 ? "–" : e.ImagesPerSecond.ToString("N0", CultureInfo.InvariantCulture),
            ];
            table.AddRow(weightEpochs is null ? cells : [.. cells, weightEpochs.Contains(e.Epoch) ? MetricText.WeightsKept : MetricText.NoWeights]);
        }
        return table;
    }

    /// <summary>Epoch 0 is the untrained model, and a diverged epoch is marked, so neither is read as a trained result.</summary>
    private static string Epoch(EpochMetrics e) =>
        e.Epoch == 0 ? "0 (untrained)" : e.Diverged ? $"{e.Epoch} (diverged)" : e.Epoch.ToString(CultureInfo.InvariantCulture);

    /// <summary>One line per epoch, for logs and terminals without live rendering.</summary>
    public static string Line(EpochMetrics e, int epochs)
    {
        var timing = e.Epoch == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"  {e.Seconds:F1} s  {e.ImagesPerSecond:N0} img/s");
        var untrained = e.Epoch == 0 ? " (untrained)" : e.Diverged ? " (diverged)" : "";
        return $"epoch {e.Epoch}/{epochs}{untrained}  train loss {Loss(e.Train)} acc {Accuracy(e.Train)}  val loss {Loss(e.Validation)} acc {Accuracy(e.Validation)}  test acc {Accuracy(e.Test)}{timing}";
    }

    private static string Loss(SplitMetrics? m) => MetricText.Loss(m?.Loss);
    private static string Accuracy(SplitMetrics? m) => PercentText.Format(m?.Accuracy);
}
