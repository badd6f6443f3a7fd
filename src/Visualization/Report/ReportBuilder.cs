using System.Globalization;
using Experiments.Contracts;
using Experiments.Analysis.Decoding;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Visualization.Interpretability;
using Experiments.Visualization.Snapshots;
using Experiments.Worker.Interpretability;

namespace Experiments.Visualization.Report;

/// <summary>
/// Builds <c>viz report</c> pages from the same functions the viz commands use (<see cref="TrialFigures"/>, the
/// attribution panels, the activation grids, the decoding grids). A part that cannot be drawn for this trial (no
/// classification metrics, an architecture decoding does not support…) becomes a note on the page, not a failure.
/// </summary>
/// <param name="store">The results store the trials are read from.</param>
/// <param name="images">How many test images (the first ones) get probabilities, saliency and Grad-CAM; 0 shows none.</param>
/// <param name="outputDirectory">
/// The folder a report writes into, created if needed, given its subject (<c>trial-&lt;id&gt;</c> or <c>sweep-&lt;id&gt;</c>).
/// </param>
/// <param name="showingEpoch">
/// The epoch a trial's report shows given the requested one (or null); default <see cref="FigureEpoch.ResolveAsync"/>.
/// The command line passes one that also says the choice on standard error. The figures drawn from metrics show this
/// epoch; those drawn from weights show it too when it has a snapshot, else the stored one nearest it, and say so.
/// </param>
public sealed class ReportBuilder(ResultsStore store, int images, Func<string, string> outputDirectory,
    Func<long, int?, CancellationToken, Task<ShownEpoch>>? showingEpoch = null)
{
    // A grid of more maps than this, each enlarged to a tile, grows too big for a page. Maps of 1×1 are exempt: they are
    // drawn as one compact block of values (ActivationPictures.Draw), however many there are.
    private const int MaxActivationMaps = 64;

    // The reconstruction error of the report's decoded layer is averaged over this many test images (viz decode: --sample).
    private const int DecodeSample = 200;

    private readonly TrialFigures _figures = new(store);
    private readonly ReportCharts _charts = new(new TrialFigures(store));

    /// <summary>
    /// report-trial-&lt;id&gt;.html, with its figures, in the trial's folder: settings, per-epoch table, curves, confusion,
    /// ROC, kernels over the epochs, weight health, probabilities, activations, saliency, Grad-CAM and decoded filters,
    /// the figures of one epoch at <paramref name="epoch"/> (default: the trial's best). Figures drawn from weights need a
    /// snapshot: an epoch without one (a trial kept with a snapshot cadence, or pruned) has them drawn from the stored epoch
    /// nearest it, and the page says so. Returns its path.
    /// </summary>
    /// <exception cref="VizInputException">There is no such trial, or the epoch cannot be shown.</exception>
    public async Task<string> TrialReportAsync(long trial, int? epoch, CancellationToken ct = default)
    {
        var row = await store.GetTrialAsync(trial, ct) ?? throw new VizInputException($"there is no trial {trial}; see `{ExperimentsCommand.Name} results list`");
        var directory = outputDirectory($"trial-{trial}");
        var html = new HtmlReport($"Trial {trial}: {row.Architecture} on {row.Dataset}");
        var shown = showingEpoch is null ? await FigureEpoch.ResolveAsync(store, trial, epoch, ct) : await showingEpoch(trial, epoch, ct);
        await TrialSectionsAsync(html, row, directory, level: 2, shown, ct);
        return Save(html, directory, $"report-trial-{trial}.html");
    }

    /// <summary>
    /// report-sweep-&lt;id&gt;.html, with its figures, in the sweep's folder: the sweep, its leaderboard, its trials, their
    /// curves overlaid, and a full section for each of its <paramref name="top"/> best trials at its best epoch. Returns its path.
    /// </summary>
    /// <exception cref="VizInputException">There is no such sweep.</exception>
    public async Task<string> SweepReportAsync(long sweepId, int top, CancellationToken ct = default)
    {
        var sweep = await store.GetSweepAsync(sweepId, ct) ?? throw new VizInputException($"there is no sweep {sweepId}; see `{ExperimentsCommand.Name} sweep list`");
        var directory = outputDirectory($"sweep-{sweepId}");
        var html = new HtmlReport($"Sweep {sweepId}: {sweep.Name}");
        var trials = await store.GetSweepTrialsAsync(sweepId, ct);
        var metric = ResultsStore.RankableMetrics.ContainsKey(sweep.Metric) ? sweep.Metric : "val_accuracy";
        var leaders = await store.TopAsync(metric, sweepId, Math.Max(1, trials.Count), ct);
        var detailed = leaders.Take(top).ToList();

        html.Table(["sweep", "status", "dataset", "metric", "trials", "created", "finished"],
            [[sweep.Id.ToString(CultureInfo.InvariantCulture), sweep.Status.ToString().ToLowerInvariant(), sweep.Dataset ?? "–",
              $"{sweep.Metric} ({(sweep.Maximize ? "maximize" : "minimize")})", string.Join(", ", sweep.TrialsByStatus.Select(kv => $"{kv.Value} {kv.Key.ToString().ToLowerInvariant()}")),
              Time(sweep.CreatedAt), sweep.FinishedAt is { } f ? Time(f) : "–"]]);

        html.Heading(2, "Leaderboard", "leaderboard");
        if (metric != sweep.Metric) html.Note($"the sweep's metric '{sweep.Metric}' cannot be ranked by the store; ranked by {metric} instead");
        if (leaders.Count == 0) html.Note("no trial has a finite value of the metric yet");
        else
        {
            var labels = trials.ToDictionary(t => t.TrialId, t => t.Label ?? "");
            var extra = LeaderboardColumns.ExtraRankedColumn(metric);
            html.Table(["rank", "trial", "settings", "architecture", "best epoch", .. extra is null ? Array.Empty<string>() : [extra], "val accuracy", "test accuracy"],
                leaders.Select((t, i) => Row(
                [
                    (i + 1).ToString(CultureInfo.InvariantCulture),
                    new HtmlCell($"trial {t.Id}", i < detailed.Count ? $"#trial-{t.Id}" : null),
                    labels.GetValueOrDefault(t.Id, ""), t.Architecture, t.BestEpoch?.ToString(CultureInfo.InvariantCulture) ?? "–",
                    .. extra is null ? Array.Empty<HtmlCell>() : [MetricText.Format(metric, t.RankedValue)],
                    PercentText.Format(t.BestValAccuracy), PercentText.Format(t.TestAccuracyAtBest),
                ])));
        }

        html.Heading(2, "Trials", "trials");
        html.Table(["trial", "index", "settings", "status", "attempts", "epochs", $"best {sweep.Metric}", "error"],
            trials.Select(t => Row(
                t.TrialId.ToString(CultureInfo.InvariantCulture), t.Index?.ToString(CultureInfo.InvariantCulture) ?? "–", t.Label ?? "",
                t.Status.ToString().ToLowerInvariant(), t.Attempts.ToString(CultureInfo.InvariantCulture), $"{t.EpochsRecorded} / {t.PlannedEpochs}",
                MetricText.Format(sweep.Metric, t.BestMetric), t.Error ?? "")));

        html.Heading(2, "Curves of every trial", "curves");
        await _charts.OverlaidCurvesAsync(html, [.. trials.Where(t => t.EpochsRecorded > 0).Select(t => t.TrialId)], Path.Combine(directory, "curves"), ct);

        foreach (var leader in detailed)
        {
            html.Heading(2, $"Trial {leader.Id}: {leader.Architecture} ({LabelOf(trials, leader.Id)})", $"trial-{leader.Id}");
            var row = await store.GetTrialAsync(leader.Id, ct) ?? throw new VizInputException($"there is no trial {leader.Id}");
            await TrialSectionsAsync(html, row, Path.Combine(directory, $"trial-{leader.Id}"), level: 3, await FigureEpoch.ResolveAsync(store, leader.Id, null, ct), ct);
        }
        return Save(html, directory, $"report-sweep-{sweepId}.html");

        static string LabelOf(IReadOnlyList<SweepTrialRow> rows, long id) => rows.FirstOrDefault(r => r.TrialId == id)?.Label ?? "sweep trial";
    }

    private static string Save(HtmlReport html, string directory, string name)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        html.Write(path);
        return path;
    }

    /// <summary>
    /// Every section of one trial, with headings at <paramref name="level"/>; intermediate files go into
    /// <paramref name="directory"/>. The figures of one epoch show <paramref name="shown"/>, and their headings say which and why;
    /// those drawn from weights show the stored snapshot nearest it when it has none, so metrics that exist are never left out.
    /// </summary>
    private async Task TrialSectionsAsync(HtmlReport html, TrialRow row, string directory, int level, ShownEpoch shown, CancellationToken ct)
    {
        var trial = row.Id;
        var epochs = await store.GetEpochsAsync(trial, ct);
        Settings(html, row, level);
        EpochTable(html, epochs, await store.SnapshotEpochsAsync(trial, ct), level);

        await _charts.CurvesAsync(html, trial, directory, level, ct);
        await _charts.ClassificationAsync(html, trial, shown, directory, level, ct);

        var weights = await FigureEpoch.NearestWeightsAsync(store, trial, shown, ct);
        if (weights is null) html.Note($"trial {trial} has no stored weight snapshots, so kernels, images and decoding are left out");
        else if (weights.Epoch != shown.Epoch)
            html.Note($"epoch {shown.Epoch} has no weight snapshot, so the test images and decoded filters below show {weights} " +
                      $"(stored: {string.Join(", ", await store.SnapshotEpochsAsync(trial, ct))})");
        using var model = weights is null ? null : await OpenModelAsync(html, trial, weights.Epoch, ct);
        await KernelsAsync(html, model, trial, directory, level, ct);
        await _charts.HealthAsync(html, trial, directory, level, ct);
        if (model is null || weights is null) return;
        await ImagesAsync(html, model, row, directory, level, weights, ct);
        await DecodeAsync(html, model, row, directory, level, weights);
    }

    private async Task<StoredModel?> OpenModelAsync(HtmlReport html, long trial, int epoch, CancellationToken ct)
    {
        try
        {
            return await StoredModel.OpenAsync(store, trial, epoch, ct);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            // InvalidDataException: a snapshot that does not fit the rebuilt model (e.g. a trial that recorded no input shape).
            html.Note($"the model cannot be rebuilt from its snapshots, so kernels, images and decoding are left out: {e.Message}");
            return null;
        }
    }

    private static void Settings(HtmlReport html, TrialRow row, int level)
    {
        html.Heading(level, "Settings", $"settings-{row.Id}");
        var rows = new List<IReadOnlyList<HtmlCell>>
        {
            Row("trial", row.Id.ToString(CultureInfo.InvariantCulture)),
            Row("sweep", row.SweepId?.ToString(CultureInfo.InvariantCulture) ?? "–"),
            Row("architecture", row.Architecture),
            Row("dataset", row.Dataset),
            Row("status", row.Status.ToString().ToLowerInvariant() + (row.Error is { } error ? $": {error}" : "")),
            Row("created", Time(row.CreatedAt)),
            Row("finished", row.FinishedAt is { } f ? Time(f) : "–"),
            Row("best epoch (validation accuracy)", row.BestEpoch is { } b ? $"{b}: {PercentText.Format(row.BestValAccuracy)} validation, {PercentText.Format(row.TestAccuracyAtBest)} test" : "–"),
            Row("epochs trained", row.EpochsTrained.ToString(CultureInfo.InvariantCulture)),
        };
        rows.AddRange(TrialSettings.Of(row).Where(s => s.Name is not ("architecture" or "dataset")).Select(s => Row(s.Name, s.Value)));
        html.Table(["setting", "value"], rows);
    }

    /// <summary>The per-epoch table, with the cells of <c>results show</c>'s (<see cref="EpochRows"/>).</summary>
    private static void EpochTable(HtmlReport html, IReadOnlyList<EpochRecord> epochs, IReadOnlyList<int> weightEpochs, int level)
    {
        html.Heading(level, "Per epoch");
        if (epochs.Count == 0)
        {
            html.Note("no epoch is recorded yet");
            return;
        }
        html.Table(EpochRows.Columns(withWeights: true), epochs.Select(e => EpochRows.Cells(e, weightEpochs).Select(cell => (HtmlCell)cell).ToList()));
    }

    private async Task KernelsAsync(HtmlReport html, StoredModel? model, long trial, string directory, int level, CancellationToken ct)
    {
        html.Heading(level, "Kernels of the first conv layer over the epochs", $"kernels-{trial}");
        var conv = model?.Model.Plan.Layers.FirstOrDefault(l => l.Layer is Conv2dLayer);
        if (conv is null)
        {
            html.Note(model is null ? "no model to read the layers from" : "the architecture has no conv layer");
            return;
        }
        await Part(html, async () =>
        {
            var layer = conv.Index.ToString(CultureInfo.InvariantCulture);
            var files = await _figures.KernelsAsync(trial, layer, KernelSelection.Default, EpochSelection.All, directory, ct: ct);
            html.Figure(files.Grid, $"Layer {files.Layer}, {files.Selection}: one panel per epoch ({string.Join(", ", files.Epochs)}), one column per filter × input channel, each filter rescaled to [0, 1]");
            html.Figure(files.Animation, "The same kernels as an animation, one frame per epoch (animated GIF)");
            var change = await _figures.KernelsAsync(trial, layer, KernelSelection.Default, EpochSelection.All, directory, change: true, ct: ct);
            html.Figure(change.Grid, $"Change since epoch {change.Epochs[0]}: each epoch's kernels minus the first's, on one symmetric scale (blue lower, red higher)");
        });
    }

    /// <summary>Probabilities, saliency and Grad-CAM for the first test images, and the activations of the first one, all at the shown epoch.</summary>
    private async Task ImagesAsync(HtmlReport html, StoredModel model, TrialRow row, string directory, int level, ShownEpoch shown, CancellationToken ct)
    {
        var plan = model.Model.Plan;
        html.Heading(level, $"Test images at {shown}", $"images-{model.TrialId}");
        if (images == 0)
        {
            html.Note("--images 0: no test image is shown");
            return;
        }
        // Grad-CAM explains the last rectified maps larger than 1×1 (Attribution.GradCamLayer); some architectures have none.
        int? gradCamLayer = null;
        string? noGradCam = null;
        try
        {
            gradCamLayer = Attribution.GradCamLayer(plan);
        }
        catch (ArgumentException e)
        {
            noGradCam = e.Message;
        }
        await Part(html, async () =>
        {
            for (var index = 0; index < images; index++)
            {
                var image = await PickImageAsync(model, index, ct);
                html.Heading(level + 1, $"Test image {index} · true class {image.TrueClass}");
                var probabilities = ProbabilityFigure.Write(directory, model, image, row.Dataset, out var softmax);
                var logScale = softmax.Max() > ProbabilityFigure.LogScaleAbove;
                if (logScale) probabilities = ProbabilityFigure.Write(directory, model, image, row.Dataset, out softmax, logScale: true);
                html.Figure(probabilities.Image, $"Test image {index}, as the model sees it");
                html.Figure(probabilities.Chart, ProbabilityFigure.Caption(softmax, image.Label, logScale));
                var saliency = InterpretabilityFigures.Saliency(model, image, null, directory);
                html.Figure(saliency.Path, $"Saliency for the predicted class {image.Class(saliency.Class)}: image, {InterpretabilityFigures.SaliencyQuantity}, overlay");
                if (saliency.Blank is { } blankSaliency) html.Note("saliency: " + InterpretabilityFigures.BlankMapWarning(blankSaliency));
                if (gradCamLayer is { } layer)
                {
                    var map = InterpretabilityFigures.GradCam(model, image, layer, null, directory);
                    html.Figure(map.Path,
                        $"Grad-CAM at layer {layer} ({plan.Layers[layer].Description}), the last rectified maps, for class {image.Class(map.Class)}: image, map, overlay");
                    if (map.Blank is { } blankMap) html.Note("Grad-CAM: " + InterpretabilityFigures.BlankMapWarning(blankMap));
                }
            }
        });
        if (noGradCam is not null) html.Note("Grad-CAM is left out: " + noGradCam);
        if (gradCamLayer is not null) html.Paragraph("Saliency and Grad-CAM explain the predicted class's pre-softmax score.");

        html.Heading(level + 1, "Activations of test image 0");
        await Part(html, async () =>
        {
            var image = await PickImageAsync(model, 0, ct);
            var last = model.LoadedEpoch!.Value;
            var layers = ActivationHistory.NamedLayers(plan).Where(l => FitsOnAPage(plan.Layers[l].Output.Dims)).ToList();
            var wide = ActivationHistory.NamedLayers(plan).Except(layers).ToList();
            var files = await InterpretabilityFigures.ActivationsAsync(model, image, layers, [last], directory, TimeSpan.Zero, $"-epoch-{last}", animate: false, ct);
            foreach (var file in files)
                html.Figure(file.Grid, $"Layer {file.Layer} ({file.Label}): {file.Shape[0]} maps of {file.Shape[1]}×{file.Shape[2]}, black = lowest, white = highest");
            if (wide.Count > 0)
                html.Note($"grids of more than {MaxActivationMaps} maps larger than 1×1 are too big for the page, so these layers are left out (see `viz activations --layer L`): "
                          + string.Join(", ", wide.Select(l => $"{l} ({MapsText(plan.Layers[l].Output.Dims)})")));
        });
    }

    /// <summary>Whether a layer's activation grid fits the page: at most <see cref="MaxActivationMaps"/> maps, or maps of 1×1 (one block).</summary>
    private static bool FitsOnAPage(IReadOnlyList<int> dims) =>
        dims[0] <= MaxActivationMaps || dims is [_, 1, 1];

    private static string MapsText(IReadOnlyList<int> dims) =>
        dims.Count == 3 ? $"{dims[0]} maps of {dims[1]}×{dims[2]}" : $"{dims[0]} maps";

    /// <summary>
    /// The decoded filters (003) of the second layer with conv filters, the first one whose filters are not already
    /// pictures of the input. A residual block counts as one, so that when it cannot be decoded the note gives the
    /// decoding planner's reason rather than claiming the architecture lacks conv layers.
    /// </summary>
    private async Task DecodeAsync(HtmlReport html, StoredModel model, TrialRow row, string directory, int level, ShownEpoch shown)
    {
        var convs = model.Model.Plan.Layers.Where(l => l.Layer is Conv2dLayer or ResidualBlockLayer).ToList();
        html.Heading(level, $"Decoded filters at {shown}", $"decode-{model.TrialId}");
        if (convs.Count < 2)
        {
            html.Note("decoding is left out: the architecture has fewer than two conv layers, and the first one's filters are already its kernels above");
            return;
        }
        var layer = convs[1].Index;
        await Part(html, () =>
        {
            DecodeFiles files;
            try
            {
                var sample = DatasetCatalog.Load(row.Dataset, ExperimentsHome.Resolve()).Test.Take(DecodeSample);
                files = InterpretabilityFigures.Decode(model, layer, Unpooling.Bicubic, sample, 4, ThresholdedViews.DefaultFraction, null, directory, topImages: false);
            }
            catch (ArgumentException e)
            {
                // The planner's refusal names the layer and why (e.g. a residual block has no filters of its own).
                html.Note($"decoding is left out: {e.Message}");
                return Task.CompletedTask;
            }
            var f = files.Decoded.Filters;
            html.Figure(files.Filters, $"The {f.Count} filters of layer {layer} decoded into image space ({f.Channels}×{f.Height}×{f.Width}), bicubic unpooling");
            html.Figure(files.Thresholded, "Thresholded views: the sign of values reaching a fraction of each filter's largest magnitude");
            if (files.Evaluation.Error.Images > 0) html.Paragraph($"Reconstruction MSE (003, eq. 3): {files.ErrorInWords()}.");
            return Task.CompletedTask;
        });
    }

    /// <summary>Test image <paramref name="index"/> of the trial's dataset.</summary>
    private Task<PickedImage> PickImageAsync(StoredModel model, int index, CancellationToken ct) =>
        DatasetImages.PickAsync(store, model, "test", index, ExperimentsHome.Resolve(), ct);

    /// <summary>Runs one part of the page; a part that does not apply to this trial becomes a note instead of failing the report.</summary>
    private static Task Part(HtmlReport html, Func<Task> draw) => html.PartAsync(draw);

    private static IReadOnlyList<HtmlCell> Row(params HtmlCell[] cells) => cells;

    private static string Time(DateTimeOffset time) => time.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

}
