using System.Globalization;
using System.Text.Json;
using Experiments.Analysis;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Visualization.Charts;
using Experiments.Visualization.Data;
using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;
using Experiments.Visualization.Snapshots;

namespace Experiments.Visualization;

/// <summary>The files a kernel figure wrote, and what is in them.</summary>
/// <param name="Selection">Which filters are shown, in words (also in the picture's title).</param>
public sealed record KernelFiles(string Grid, string Animation, string Layer, IReadOnlyList<int> Filters, IReadOnlyList<int> Epochs, int InputChannels, int KernelHeight, int KernelWidth,
    int Upscale, string Selection);

/// <summary>
/// The charts a health figure wrote and the report they draw. <paramref name="Json"/> is where health.json belongs; the
/// caller writes it, because the document <c>viz health --json</c> prints (and health.json must equal) also holds the
/// activation checks, which need the engine.
/// </summary>
public sealed record HealthFiles(HealthReport Report, string Json, IReadOnlyList<string> Charts);

/// <summary>
/// Every figure that is drawn from what the results store holds (metrics, artifacts and weight snapshots): each
/// method reads, draws, writes its files into <c>outDirectory</c> (created if needed) and returns their paths.
/// </summary>
public sealed class TrialFigures(ResultsStore store)
{
    /// <summary>The store the figures are read from.</summary>
    public ResultsStore Store => store;

    /// <summary>Kind of the stored per-split artifact with the confusion matrix and ROC (written by the worker's TrialRecorder).</summary>
    public const string ClassificationKind = "classification";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>loss.svg and accuracy.svg: train (solid) and validation (dashed) per epoch, one colour per trial.</summary>
    public async Task<IReadOnlyList<string>> CurvesAsync(IReadOnlyList<long> trials, string outDirectory, CancellationToken ct = default)
    {
        if (trials.Count == 0) throw new VizInputException("name at least one trial");
        var loss = new List<LineSeries>();
        var accuracy = new List<LineSeries>();
        for (var i = 0; i < trials.Count; i++)
        {
            var row = await TrialAsync(trials[i], ct);
            var epochs = await store.GetEpochsAsync(row.Id, ct);
            var colour = LineChart.Palette[i % LineChart.Palette.Count];
            var name = trials.Count == 1 ? "" : $"trial {row.Id} ";
            loss.Add(new LineSeries(name + "train", Points(epochs, e => e.Train?.Loss), colour));
            loss.Add(new LineSeries(name + "validation", Points(epochs, e => e.Validation?.Loss), colour, Dashed: true));
            accuracy.Add(new LineSeries(name + "train", Points(epochs, e => e.Train?.Accuracy), colour));
            accuracy.Add(new LineSeries(name + "validation", Points(epochs, e => e.Validation?.Accuracy), colour, Dashed: true));
        }
        var subject = trials.Count == 1 ? $"trial {trials[0]}" : "trials " + string.Join(", ", trials);
        Directory.CreateDirectory(outDirectory);
        var lossPath = Path.Combine(outDirectory, "loss.svg");
        var accuracyPath = Path.Combine(outDirectory, "accuracy.svg");
        new LineChart($"Loss per epoch, {subject}", "epoch", "cross-entropy loss", loss).Write(lossPath);
        new LineChart($"Accuracy per epoch, {subject}", "epoch", "accuracy", accuracy) { YRange = (0, 1) }.Write(accuracyPath);
        return [lossPath, accuracyPath];
    }

    private static List<(double X, double Y)> Points(IReadOnlyList<EpochRecord> epochs, Func<EpochRecord, double?> value) =>
        epochs.Where(e => value(e) is not null).Select(e => ((double)e.Epoch, value(e)!.Value)).ToList();

    /// <summary>
    /// kernels-&lt;layer&gt;.png (a labelled panel per epoch, a group per filter, a tile per input channel) and
    /// kernels-&lt;layer&gt;-animation.gif (a frame per epoch); with <paramref name="change"/>, kernels-&lt;layer&gt;-change…:
    /// each epoch minus the trial's first recorded epoch, on one symmetric scale (<see cref="KernelPictures.DrawChange"/>).
    /// </summary>
    public async Task<KernelFiles> KernelsAsync(long trial, string layer, KernelSelection selection, EpochSelection epochs, string outDirectory,
        KernelScaling scaling = KernelScaling.Filter, int? upscale = null, TimeSpan? frameDelay = null, bool change = false, CancellationToken ct = default)
    {
        await TrialAsync(trial, ct);
        var recorded = (await store.GetEpochsAsync(trial, ct)).Select(e => e.Epoch).ToList();
        var chosen = epochs.Resolve(recorded, trial);
        var history = new List<(int, WeightTensor)>();
        string? tensorName = null;
        async Task<WeightTensor> ReadAsync(int epoch)
        {
            var snapshot = await store.ReadSnapshotAsync(trial, epoch, ct);
            if (snapshot.Count == 0) throw new VizInputException($"trial {trial} has no weight snapshot at epoch {epoch}");
            tensorName ??= LayerNames.ResolveWeight(layer, snapshot, shape => shape.Length == 4, "conv");
            var tensor = snapshot.FirstOrDefault(t => t.Name == tensorName)
                ?? throw new VizInputException($"the snapshot of epoch {epoch} has no tensor '{tensorName}'");
            return WeightTensor.From(tensor);
        }
        foreach (var epoch in chosen) history.Add((epoch, await ReadAsync(epoch)));

        var kernels = new KernelHistory(tensorName!, history);
        var subject = $"trial {trial}";
        var baselineEpoch = recorded.Min();
        using var picture = change
            ? KernelPictures.DrawChange(kernels, chosen[0] == baselineEpoch ? history[0].Item2 : await ReadAsync(baselineEpoch), baselineEpoch, selection, upscale, subject)
            : KernelPictures.Draw(kernels, selection, scaling, upscale, subject);
        var shape = history[0].Item2.Shape;
        var stem = "kernels-" + SafeName(tensorName!.EndsWith(".weight", StringComparison.Ordinal) ? tensorName[..^".weight".Length] : tensorName)
                   + (selection.Explicit is { Count: > 0 } named ? "-filter-" + string.Join('_', named) : selection.Page is { } page ? $"-page-{page}" : "")
                   + (change ? "-change" : "");
        Directory.CreateDirectory(outDirectory);
        var gridPath = Path.Combine(outDirectory, stem + ".png");
        var animationPath = Path.Combine(outDirectory, stem + "-animation.gif");
        picture.Grid.WritePng(gridPath);
        Animation.WriteGif(animationPath, picture.Frames, frameDelay ?? TimeSpan.FromMilliseconds(400));
        return new KernelFiles(gridPath, animationPath, tensorName, picture.Filters, picture.Epochs, shape[1], shape[2], shape[3], picture.Zoom, picture.Selection);
    }

    /// <summary>
    /// confusion-&lt;split&gt;-epoch-&lt;E&gt;.svg: counts, true class down, predicted class across; the title says which
    /// epoch and why (<see cref="FigureEpoch"/>).
    /// </summary>
    public async Task<string> ConfusionAsync(long trial, ShownEpoch epoch, string split, string outDirectory, CancellationToken ct = default)
    {
        var (row, artifact, evaluation) = await EvaluationAsync(trial, epoch.Epoch, split, ct);
        var classes = ClassNames(row.Dataset, evaluation.Classification.Classes);
        var matrix = evaluation.Classification.ConfusionMatrix.Select(r => (IReadOnlyList<double>)r.Select(n => (double)n).ToList()).ToList();
        var chart = new HeatmapChart(
            $"Confusion matrix, trial {trial}, {epoch}, {split} (accuracy {evaluation.Classification.Accuracy.ToString("P1", CultureInfo.InvariantCulture)})",
            "true class", "predicted class", classes, classes, matrix) { ValueFormat = "0" };
        Directory.CreateDirectory(outDirectory);
        var path = Path.Combine(outDirectory, $"confusion-{split}-epoch-{artifact.Epoch}.svg");
        chart.Write(path);
        return path;
    }

    /// <summary>
    /// roc-&lt;split&gt;-epoch-&lt;E&gt;.svg: one-vs-rest ROC per class, its AUC in the legend, the chance diagonal dashed;
    /// the title says which epoch and why.
    /// </summary>
    public async Task<string> RocAsync(long trial, ShownEpoch epoch, string split, string outDirectory, CancellationToken ct = default)
    {
        var (row, artifact, evaluation) = await EvaluationAsync(trial, epoch.Epoch, split, ct);
        var classes = ClassNames(row.Dataset, evaluation.Roc.Classes);
        var series = new List<LineSeries>();
        foreach (var curve in evaluation.Roc.Curves)
        {
            var auc = double.IsNaN(curve.Auc) ? "AUC undefined" : "AUC " + curve.Auc.ToString("0.000", CultureInfo.InvariantCulture);
            series.Add(new LineSeries($"{classes[curve.Class]} ({auc})",
                curve.FalsePositiveRate.Zip(curve.TruePositiveRate, (x, y) => (x, y)).ToList(), LineChart.Palette[curve.Class % LineChart.Palette.Count]));
        }
        series.Add(new LineSeries("chance", [(0, 0), (1, 1)], "#999999", Dashed: true));
        var macro = double.IsNaN(evaluation.Roc.MacroAuc) ? "undefined" : evaluation.Roc.MacroAuc.ToString("0.000", CultureInfo.InvariantCulture);
        var chart = new LineChart($"One-vs-rest ROC, trial {trial}, {epoch}, {split} (macro AUC {macro})",
            "false positive rate", "true positive rate", series) { YRange = (0, 1), Width = 820, Height = 520 };
        Directory.CreateDirectory(outDirectory);
        var path = Path.Combine(outDirectory, $"roc-{split}-epoch-{artifact.Epoch}.svg");
        chart.Write(path);
        return path;
    }

    /// <summary>Reads every epoch's snapshot, examines it (<see cref="WeightHealth"/>) and writes one norm chart per layer.</summary>
    public async Task<HealthFiles> HealthAsync(long trial, string outDirectory, double deadFraction = WeightHealth.DefaultDeadFraction, CancellationToken ct = default)
    {
        var report = await HealthReportAsync(trial, deadFraction, ct);
        Directory.CreateDirectory(outDirectory);
        var jsonPath = Path.Combine(outDirectory, "health.json");
        var charts = new List<string>();
        foreach (var layer in report.Layers)
        {
            var series = new List<LineSeries>();
            for (var f = 0; f < layer.Filters; f++)
            {
                var filter = f;
                var dead = report.DeadFilters.FirstOrDefault(d => d.Tensor == layer.Tensor && d.Filter == filter);
                var label = (layer.Kind == "conv" ? "filter " : "unit ") + f + (dead is null ? "" : $" (dead from epoch {dead.FirstEpoch})");
                series.Add(new LineSeries(label, report.Epochs.Select((e, i) => ((double)e, layer.Norms[i][filter])).ToList(),
                    dead is null ? LineChart.Palette[f % LineChart.Palette.Count] : "#d62728"));
            }
            if (double.IsFinite(layer.DeadThreshold))
                series.Add(new LineSeries("dead threshold", report.Epochs.Select(e => ((double)e, layer.DeadThreshold)).ToList(), "#000000", Dashed: true));
            var title = $"{(layer.Kind == "conv" ? "Kernel" : "Unit")} L2 norm per epoch, trial {trial}, {layer.Tensor}";
            var path = Path.Combine(outDirectory, $"health-{SafeName(layer.Tensor)}.svg");
            new LineChart(title, "epoch", "L2 norm", series) { Height = Math.Max(420, 60 + 18 * series.Count) }.Write(path);
            charts.Add(path);
        }
        return new HealthFiles(report, jsonPath, charts);
    }

    public async Task<HealthReport> HealthReportAsync(long trial, double deadFraction = WeightHealth.DefaultDeadFraction, CancellationToken ct = default)
    {
        await TrialAsync(trial, ct);
        var snapshots = new List<EpochSnapshot>();
        foreach (var epoch in (await store.GetEpochsAsync(trial, ct)).Select(e => e.Epoch))
        {
            var tensors = await store.ReadSnapshotAsync(trial, epoch, ct);
            if (tensors.Count > 0) snapshots.Add(new EpochSnapshot(epoch, tensors));
        }
        if (snapshots.Count == 0) throw new VizInputException($"trial {trial} has no stored weight snapshots");
        return WeightHealth.Examine(snapshots, deadFraction);
    }

    /// <summary>covariance-&lt;dataset&gt;.png: the d×d pixel covariance of a sample of the training split, zero white, positive red, negative blue.</summary>
    public static (string Path, CovarianceMatrix Matrix) Covariance(string dataset, string home, int sample, CovarianceChannels channels, string outDirectory, int seed = 0)
    {
        var (train, _) = DatasetCatalog.LoadTrainAndTest(dataset, home);
        var matrix = PixelCovariance.Of(train, sample, channels, seed);
        var (image, _) = CovarianceImage(matrix);
        using (image)
        {
            Directory.CreateDirectory(outDirectory);
            var path = Path.Combine(outDirectory, $"covariance-{SafeName(DatasetCatalog.Get(dataset).Name)}{(channels == CovarianceChannels.All ? "-all-channels" : "")}.png");
            image.WritePng(path);
            return (path, matrix);
        }
    }

    /// <summary>The matrix as a picture, one pixel per entry (enlarged to at least 256 pixels a side), signed around white.</summary>
    public static (Picture Image, double MaxAbs) CovarianceImage(CovarianceMatrix matrix)
    {
        var maxAbs = matrix.Values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        var pixels = new Rgb[matrix.Dimension * matrix.Dimension];
        for (var r = 0; r < matrix.Dimension; r++)
            for (var c = 0; c < matrix.Dimension; c++) pixels[r * matrix.Dimension + c] = ColorMap.Diverging.MapSigned(matrix[r, c], maxAbs);
        var side = matrix.Dimension * Math.Max(1, (int)Math.Ceiling(256.0 / matrix.Dimension));
        var image = new Picture(side, side, Rgb.White);
        image.Paint(new GridTile(matrix.Dimension, matrix.Dimension, pixels), 0, 0, side, side);
        return (image, maxAbs);
    }

    private async Task<TrialRow> TrialAsync(long trial, CancellationToken ct) =>
        await store.GetTrialAsync(trial, ct) ?? throw new VizInputException($"there is no trial {trial}; see `{ExperimentsCommand.Name} results list`");

    private async Task<(TrialRow Row, StoredArtifact Artifact, SplitEvaluation Evaluation)> EvaluationAsync(long trial, int epoch, string split, CancellationToken ct)
    {
        var row = await TrialAsync(trial, ct);
        var artifacts = (await store.GetArtifactsAsync(trial, ClassificationKind, ct)).Where(a => a.Split == split).ToList();
        if (artifacts.Count == 0)
            throw new VizInputException($"trial {trial} has no stored classification metrics for the {split} split (splits are train, val and test)");
        var artifact = artifacts.FirstOrDefault(a => a.Epoch == epoch) ?? throw new VizInputException(
            $"trial {trial} has no {split} metrics at epoch {epoch}; it has them at epochs {string.Join(", ", artifacts.Select(a => a.Epoch))}");
        return (row, artifact, SplitEvaluation.FromJson(artifact.Json));
    }

    private static IReadOnlyList<string> ClassNames(string dataset, int classes) =>
        DatasetCatalog.TryGet(dataset, out var descriptor) && descriptor.Classes == classes
            ? descriptor.ClassNames
            : Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToList();

    private static string SafeName(string name) =>
        string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
