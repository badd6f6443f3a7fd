using Experiments.Store;

namespace Experiments.Visualization.Charts;

/// <summary>
/// Loss and accuracy per epoch (000, Fig. 7; 002, Figs. 3–4): train solid and validation dashed, one colour per trial,
/// each trial named by the settings that differ (<see cref="TrialNames"/>). Epoch 0, the untrained model, is left out
/// unless asked for: its loss (about ln 10 ≈ 2.3 for ten classes) and accuracy (about 10%) would set the axes and flatten
/// every difference between trained epochs. Axes are fitted to the data, so an 86% against 89% gap stays visible.
/// </summary>
public static class LearningCurves
{
    /// <summary>The loss and the accuracy chart of <paramref name="trials"/> (each with its epochs, in any order).</summary>
    public static (LineChart Loss, LineChart Accuracy) Draw(IReadOnlyList<(TrialRow Trial, IReadOnlyList<EpochRecord> Epochs)> trials, bool includeEpoch0)
    {
        if (trials.Count == 0) throw new ArgumentException("name at least one trial");
        // A trial with nothing but epoch 0 still gets its baseline drawn rather than an empty chart.
        var showEpoch0 = includeEpoch0 || trials.All(t => t.Epochs.All(e => e.Epoch == 0));
        var names = TrialNames.Distinguishing([.. trials.Select(t => t.Trial)]);
        var single = trials.Count == 1;
        var (loss, accuracy) = (new List<LineSeries>(), new List<LineSeries>());
        for (var i = 0; i < trials.Count; i++)
        {
            var (trial, epochs) = trials[i];
            var shown = epochs.Where(e => showEpoch0 || e.Epoch > 0).OrderBy(e => e.Epoch).ToList();
            var colour = ChartCanvas.Palette[i % ChartCanvas.Palette.Count];
            var name = names[trial.Id];
            // One trial: the legend says train and validation. Several: one entry per trial, and the line styles once.
            LineSeries Series(string split, Func<EpochRecord, double?> value, double scale, bool dashed) =>
                new(single ? split : $"{name} {split}",
                    [.. shown.Where(e => value(e) is not null).Select(e => new ChartPoint(e.Epoch, value(e)!.Value * scale))],
                    colour, dashed, InLegend: single || !dashed) { Legend = single ? null : name };
            loss.Add(Series("train", e => e.Train?.Loss, 1, false));
            loss.Add(Series("validation", e => e.Validation?.Loss, 1, true));
            accuracy.Add(Series("train", e => e.Train?.Accuracy, 100, false));
            accuracy.Add(Series("validation", e => e.Validation?.Accuracy, 100, true));
        }
        IReadOnlyList<LegendKey> keys = single ? [] : [new("train (solid)", ChartCanvas.KeyColour), new("validation (dashed)", ChartCanvas.KeyColour, Dashed: true)];
        var subject = single ? $"trial {trials[0].Trial.Id}" : "trials " + string.Join(", ", trials.Select(t => t.Trial.Id));
        // One level of parentheses only: "trial 8, epoch 0 (untrained) included", never "(epoch 0 (untrained) included)".
        var range = showEpoch0 ? ", epoch 0 (untrained) included" : " (trained epochs)";
        return (
            new LineChart($"Loss per epoch, {subject}{range}", "epoch", "cross-entropy loss (nats)", loss) { WholeX = true, Keys = keys, WrapTitle = true },
            new LineChart($"Accuracy per epoch, {subject}{range}", "epoch", "accuracy (%)", accuracy) { WholeX = true, Keys = keys, WrapTitle = true });
    }
}
