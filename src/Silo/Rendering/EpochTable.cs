using System.Globalization;
using Experiments.Contracts;
using Experiments.Store;
using Experiments.Visualization;
using Experiments.Worker.Training;
using Spectre.Console;

namespace Experiments.Silo.Rendering;

/// <summary>
/// The per-epoch table on the console: train / validation / test loss and accuracy, time and throughput. Its cells come
/// from <see cref="EpochRows"/>, as the HTML report's do, so an epoch reads the same in both.
/// </summary>
public static class EpochTable
{
    /// <summary>
    /// The table, with a "weights" column (<see cref="MetricText.WeightsKept"/> or <see cref="MetricText.NoWeights"/>) when
    /// <paramref name="weightEpochs"/>, the epochs that kept a weight snapshot, is given: under a snapshot cadence or
    /// after a prune, the figures of an epoch remain but not its weights.
    /// </summary>
    public static Table Build(IEnumerable<EpochRecord> epochs, IReadOnlyCollection<int>? weightEpochs = null)
    {
        var table = new Table().RoundedBorder();
        foreach (var name in EpochRows.Columns(withWeights: weightEpochs is not null))
            table.AddColumn(name switch
            {
                "epoch" => new TableColumn(name),
                "weights" => new TableColumn(name).Centered(),
                _ => new TableColumn(name).RightAligned(),
            });
        foreach (var e in epochs) table.AddRow(EpochRows.Cells(e, weightEpochs).Select(cell => new Text(cell)));
        return table;
    }

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
