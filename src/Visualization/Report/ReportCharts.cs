using System.Globalization;

namespace Experiments.Visualization.Report;

/// <summary>
/// The chart sections of a <c>viz report</c> page, drawn by the same <see cref="TrialFigures"/> methods as the viz
/// commands, so a page and a command never disagree: learning curves, the confusion matrix and ROC of the shown epoch,
/// and weight health. Each writes its figures into the given folder and embeds them; a part that cannot be drawn for
/// the trial becomes a note (<see cref="HtmlReport.PartAsync"/>).
/// </summary>
public sealed class ReportCharts(TrialFigures figures)
{
    /// <summary>Loss and accuracy of one trial over its trained epochs.</summary>
    public async Task CurvesAsync(HtmlReport html, long trial, string directory, int level, CancellationToken ct = default)
    {
        html.Heading(level, "Loss and accuracy", $"curves-{trial}");
        await html.PartAsync(async () =>
        {
            var paths = await figures.CurvesAsync([trial], directory, ct: ct);
            html.Figure(paths[0], "Loss per trained epoch: train solid, validation dashed (epoch 0, the untrained model, is left out)");
            html.Figure(paths[1], "Accuracy per trained epoch, on an axis fitted to the data: train solid, validation dashed");
        });
    }

    /// <summary>The curves of several trials overlaid, each named by the settings that differ between them.</summary>
    public async Task OverlaidCurvesAsync(HtmlReport html, IReadOnlyList<long> trials, string directory, CancellationToken ct = default)
    {
        if (trials.Count == 0)
        {
            html.Note("no trial has recorded a trained epoch yet");
            return;
        }
        await html.PartAsync(async () =>
        {
            var paths = await figures.CurvesAsync(trials, directory, ct: ct);
            html.Figure(paths[0], "Loss per trained epoch, every trial, named by the settings that differ (train solid, validation dashed)");
            html.Figure(paths[1], "Accuracy per trained epoch, every trial");
        });
    }

    /// <summary>The confusion matrix and ROC curves of the test split at <paramref name="shown"/>; the heading says which epoch and why.</summary>
    public async Task ClassificationAsync(HtmlReport html, long trial, ShownEpoch shown, string directory, int level, CancellationToken ct = default)
    {
        html.Heading(level, $"Test split at {shown}", $"classification-{trial}");
        await html.PartAsync(async () => html.Figure(await figures.ConfusionAsync(trial, shown, "test", directory, ct),
            $"Confusion matrix at epoch {shown.Epoch}: true class down, predicted class across, images per cell"));
        await html.PartAsync(async () => html.Figure(await figures.RocAsync(trial, shown, "test", directory, ct),
            $"One-vs-rest ROC curves at epoch {shown.Epoch} with each class's AUC, on the whole unit square"));
    }

    /// <summary>Dead filters and NaN or infinite weights listed, and every layer's norm chart (large layers as quantile bands).</summary>
    public async Task HealthAsync(HtmlReport html, long trial, string directory, int level, CancellationToken ct = default)
    {
        html.Heading(level, "Weight health", $"health-{trial}");
        await html.PartAsync(async () =>
        {
            var files = await figures.HealthAsync(trial, directory, ct: ct);
            var report = files.Report;
            html.Paragraph(report.Healthy
                ? $"Healthy: no dead filter and no NaN or infinite weight over epochs {string.Join(", ", report.Epochs)}."
                : "Problems found:", report.Healthy ? "ok" : "problem");
            html.List(report.DeadFilters.Select(d => (HtmlCell)$"dead: {d.Tensor} filter {d.Filter}, norm below threshold from epoch {d.FirstEpoch} (epochs {string.Join(", ", d.Epochs)}), last norm {d.LastNorm.ToString("G3", CultureInfo.InvariantCulture)}")
                .Concat(report.NonFinite.Select(n => (HtmlCell)$"non-finite: epoch {n.Epoch}, {n.Tensor}: {n.NaNs} NaN, {n.Infinities} infinite (first at flat index {n.FirstIndex})")), "problem");
            foreach (var (layer, chart) in report.Layers.Zip(files.Charts))
            {
                var noun = layer.Kind == "conv" ? "filter" : "unit";
                // The caption says where the threshold is: dashed on the chart, or (far below every norm) in its note.
                var threshold = Charts.NormChart.DrawsThreshold(layer, report) ? "dead threshold dashed" : "the dead threshold, far below every norm, in the note";
                html.Figure(chart, layer.Filters <= Charts.NormChart.MaxLines
                    ? $"L2 norm of each {noun} of {layer.Tensor} per epoch; {threshold}"
                    : $"L2 norms of the {layer.Filters} {noun}s of {layer.Tensor} per epoch: median, and bands from the 25th to the 75th, the 5th to the 95th percentile and min to max; {threshold}");
            }
        });
    }
}
