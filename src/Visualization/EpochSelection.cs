using System.Globalization;
using Experiments.Contracts;
using Experiments.Datasets;
using Experiments.Store;

namespace Experiments.Visualization;

/// <summary>
/// Which epochs a figure covers, as typed after <c>--epochs</c>: <c>all</c>, <c>last</c>, <c>first</c>, or a list of
/// epochs and ranges such as <c>0,5,10-12</c>.
/// </summary>
public sealed record EpochSelection(string Text)
{
    public static EpochSelection All { get; } = new("all");
    public static EpochSelection Last { get; } = new("last");

    /// <summary>
    /// The chosen epochs among <paramref name="available"/>, the epochs with a weight snapshot, ascending: <c>all</c> is every
    /// one of them (a trial with a snapshot cadence or a pruned one has gaps), <c>first</c> and <c>last</c> the ends. An
    /// epoch asked for alone that has no snapshot, or a range holding none, is an error naming the nearest stored ones.
    /// </summary>
    public IReadOnlyList<int> Resolve(IReadOnlyList<int> available, long trial)
    {
        if (available.Count == 0) throw new VizInputException($"trial {trial} has no stored weight snapshots");
        var sorted = available.Order().ToList();
        var text = Text.Trim().ToLowerInvariant();
        if (text == "all") return sorted;
        if (text == "last") return [sorted[^1]];
        if (text == "first") return [sorted[0]];
        var chosen = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw new VizInputException($"--epochs '{Text}' is not all, last, first or a list like 0,5,10-12");
            var (from, to) = (int.Parse(bounds[0], CultureInfo.InvariantCulture), int.Parse(bounds[^1], CultureInfo.InvariantCulture));
            if (to < from) throw new VizInputException($"--epochs range {part} runs backwards");
            // An epoch named alone must have its snapshot; a range takes the stored epochs within it, as "all" does
            // (a trial kept every 2nd epoch draws 4 for 3-5), and is an error only when it holds none.
            if (bounds.Length == 1 && !sorted.Contains(from)) throw new VizInputException(StoredSnapshots.Missing(trial, from, sorted));
            var within = sorted.Where(e => e >= from && e <= to).ToList();
            if (within.Count == 0) throw new VizInputException($"--epochs range {part}: " + StoredSnapshots.Missing(trial, from, sorted));
            chosen.UnionWith(within);
        }
        if (chosen.Count == 0) throw new VizInputException($"--epochs '{Text}' names no epoch");
        return [.. chosen];
    }

}

/// <summary>The one epoch a figure shows, and why that one (for titles, captions and messages).</summary>
/// <param name="Epoch">The epoch; 0 is the untrained model.</param>
/// <param name="Why">How it was chosen, e.g. "the best by val_accuracy, 97.50%" or "as asked".</param>
public sealed record ShownEpoch(int Epoch, string Why)
{
    /// <summary>"epoch 2 (the best by val_accuracy, 97.50%)".</summary>
    public override string ToString() => $"epoch {Epoch} ({Why})";
}

/// <summary>
/// The epoch a one-epoch figure (confusion, ROC, probabilities, saliency, Grad-CAM, CAM, decoded filters, the report,
/// <c>results show</c>) shows when none is asked for: the trial's best, the epoch its leaderboard row names. That is
/// the best trained epoch by its sweep's metric and goal (<c>sweeps.metric</c>), or by validation accuracy for a trial
/// outside a sweep, with NaN never counting and ties going to the earlier epoch, as the store ranks them
/// (<see cref="ResultsStore.TopAsync"/>, <c>trial_summary</c>). The last epoch is often not the best one: training
/// can overfit, and a figure of it would not describe the model the leaderboard names.
/// </summary>
public static class FigureEpoch
{
    /// <summary><paramref name="requested"/> when given (it must be recorded), else the trial's best epoch.</summary>
    /// <exception cref="VizInputException">No such trial, no recorded epoch, or the requested epoch is not recorded.</exception>
    public static async Task<ShownEpoch> ResolveAsync(ResultsStore store, long trial, int? requested, CancellationToken ct = default)
    {
        var row = await store.GetTrialAsync(trial, ct) ?? throw new VizInputException($"there is no trial {trial}; see `{ExperimentsCommand.Name} results list`");
        var epochs = await store.GetEpochsAsync(trial, ct);
        if (epochs.Count == 0) throw new VizInputException($"trial {trial} has no recorded epochs");
        if (requested is { } asked)
            return epochs.Any(e => e.Epoch == asked)
                ? new ShownEpoch(asked, "as asked")
                : throw new VizInputException($"trial {trial} has no epoch {asked}; its recorded epochs are {Architectures.RangeText.List([.. epochs.Select(e => e.Epoch).Order()])}");

        var (metric, maximize) = row.SweepId is { } sweepId && await store.GetSweepAsync(sweepId, ct) is { } sweep && ResultsStore.RankableMetrics.ContainsKey(sweep.Metric)
            ? (sweep.Metric, sweep.Maximize)
            : ("val_accuracy", true);
        // Trained epochs only, as the leaderboard ranks them: epoch 0 is the untrained baseline, shown only when no
        // trained epoch has the metric (a trial that diverged in its first epoch).
        var scored = epochs.Where(e => e.Epoch >= 1).Select(e => (e.Epoch, Value: Value(e, metric))).Where(e => e.Value is { } v && !double.IsNaN(v)).ToList();
        if (scored.Count == 0)
            return epochs.Any(e => e.Epoch == 0)
                ? new ShownEpoch(0, $"the untrained model; no trained epoch has a {metric}")
                : new ShownEpoch(epochs.Max(e => e.Epoch), $"the latest; no epoch has a {metric} to pick the best by");
        var best = scored.OrderBy(e => maximize ? -e.Value!.Value : e.Value!.Value).ThenBy(e => e.Epoch).First();
        return new ShownEpoch(best.Epoch, $"the best by {metric}, {MetricText.Format(metric, best.Value)}");
    }

    /// <summary>
    /// As <see cref="ResolveAsync"/>, for a figure drawn from the weights: an epoch asked for must have a snapshot (else
    /// the message names the nearest stored ones); when the best has none (a pruned trial), the stored epoch nearest it
    /// is shown, the later one on a tie, and the reason says so.
    /// </summary>
    /// <exception cref="VizInputException">As <see cref="ResolveAsync"/>, or the requested epoch has no weight snapshot.</exception>
    public static async Task<ShownEpoch> ResolveWeightsAsync(ResultsStore store, long trial, int? requested, CancellationToken ct = default)
    {
        var shown = await ResolveAsync(store, trial, requested, ct);
        var stored = await store.SnapshotEpochsAsync(trial, ct);
        if (stored.Contains(shown.Epoch)) return shown;
        if (requested is not null || stored.Count == 0) throw new VizInputException(StoredSnapshots.Missing(trial, shown.Epoch, stored));
        return NearestStored(stored, shown);
    }

    /// <summary>
    /// The epoch whose weights stand for <paramref name="shown"/> in a page that also draws figures from metrics (the
    /// report): <paramref name="shown"/> itself when it has a snapshot, else the stored epoch nearest it, the later one
    /// on a tie, its reason naming the epoch it stands in for. Null when the trial has no stored snapshot at all.
    /// </summary>
    public static async Task<ShownEpoch?> NearestWeightsAsync(ResultsStore store, long trial, ShownEpoch shown, CancellationToken ct = default)
    {
        var stored = await store.SnapshotEpochsAsync(trial, ct);
        if (stored.Count == 0) return null;
        return stored.Contains(shown.Epoch) ? shown : NearestStored(stored, shown);
    }

    private static ShownEpoch NearestStored(IReadOnlyList<int> stored, ShownEpoch shown)
    {
        var nearest = StoredSnapshots.Nearest(stored, shown.Epoch).OrderBy(e => Math.Abs(e - shown.Epoch)).ThenByDescending(e => e).First();
        return new ShownEpoch(nearest, $"the stored snapshot nearest to epoch {shown.Epoch}, {shown.Why}, which has none");
    }

    private static double? Value(EpochRecord epoch, string metric) => metric switch
    {
        "val_accuracy" => epoch.Validation?.Accuracy,
        "val_loss" => epoch.Validation?.Loss,
        "test_accuracy" => epoch.Test?.Accuracy,
        "test_loss" => epoch.Test?.Loss,
        "train_accuracy" => epoch.Train?.Accuracy,
        "train_loss" => epoch.Train?.Loss,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "not a metric the store ranks by"),
    };
}

/// <summary>
/// A request that cannot be drawn as asked (no such trial, epoch, layer, filter or split): the message names the
/// problem. An <see cref="ArgumentException"/>, so the CLI reports it as bad input (exit code 2).
/// </summary>
public sealed class VizInputException(string message) : ArgumentException(message);
