using System.Globalization;
using System.Text.Json;
using Experiments.Analysis;
using Experiments.Contracts;
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
    int Upscale, string Selection)
{
    /// <summary>Recorded epochs within the drawn range that have no weight snapshot (a snapshot cadence or a prune), so no panel or frame.</summary>
    public IReadOnlyList<int> WithoutSnapshot { get; init; } = [];
}

/// <summary>
/// A kernel figure drawn in memory (<see cref="TrialFigures.KernelFigureAsync"/>): the labelled grid as a PNG, the
/// animation as a GIF when asked for, and what they show, as <see cref="KernelFiles"/> describes it.
/// </summary>
public sealed record KernelFigure(FigureFile Grid, FigureFile? Animation, string Layer, IReadOnlyList<int> Filters, IReadOnlyList<int> Epochs, int InputChannels,
    int KernelHeight, int KernelWidth, int Upscale, string Selection, IReadOnlyList<int> WithoutSnapshot);

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

    /// <summary>
    /// loss.svg and accuracy.svg (<see cref="LearningCurves"/>): train solid and validation dashed, one colour per trial
    /// named by the settings that differ; epoch 0 only when <paramref name="includeEpoch0"/>. Each chart's numbers go
    /// beside it as loss.json and accuracy.json.
    /// </summary>
    public async Task<IReadOnlyList<string>> CurvesAsync(IReadOnlyList<long> trials, string outDirectory, bool includeEpoch0 = false, CancellationToken ct = default)
    {
        var (loss, accuracy) = await CurveFiguresAsync(trials, includeEpoch0, ct);
        return [loss.Save(outDirectory), accuracy.Save(outDirectory)];
    }

    /// <summary>loss.svg and accuracy.svg as <see cref="CurvesAsync"/> writes them, in memory, each with its numbers.</summary>
    public async Task<(FigureFile Loss, FigureFile Accuracy)> CurveFiguresAsync(IReadOnlyList<long> trials, bool includeEpoch0 = false, CancellationToken ct = default)
    {
        if (trials.Count == 0) throw new VizInputException("name at least one trial");
        var histories = new List<(TrialRow, IReadOnlyList<EpochRecord>)>();
        foreach (var id in trials)
        {
            var row = await TrialAsync(id, ct);
            histories.Add((row, await store.GetEpochsAsync(row.Id, ct)));
        }
        var (loss, accuracy) = LearningCurves.Draw(histories, includeEpoch0);
        return (loss.Render("loss.svg"), accuracy.Render("accuracy.svg"));
    }

    /// <summary>
    /// kernels-&lt;layer&gt;.png (a labelled panel per epoch, a group per filter, a tile per input channel) and
    /// kernels-&lt;layer&gt;-animation.gif (a frame per epoch); with <paramref name="change"/>, kernels-&lt;layer&gt;-change…:
    /// each epoch minus the trial's first recorded epoch, on one symmetric scale (<see cref="KernelPictures.DrawChange"/>).
    /// </summary>
    public async Task<KernelFiles> KernelsAsync(long trial, string layer, KernelSelection selection, EpochSelection epochs, string outDirectory,
        KernelScaling scaling = KernelScaling.Filter, int? upscale = null, TimeSpan? frameDelay = null, bool change = false, CancellationToken ct = default)
    {
        var figure = await KernelFigureAsync(trial, layer, selection, epochs, scaling, upscale, frameDelay, change, animate: true, ct);
        return new KernelFiles(figure.Grid.Save(outDirectory), figure.Animation!.Save(outDirectory), figure.Layer, figure.Filters, figure.Epochs,
            figure.InputChannels, figure.KernelHeight, figure.KernelWidth, figure.Upscale, figure.Selection) { WithoutSnapshot = figure.WithoutSnapshot };
    }

    /// <summary>
    /// The kernel figure <see cref="KernelsAsync"/> writes, drawn in memory: the grid always, the animation only when
    /// <paramref name="animate"/> (a GIF of every epoch costs more than the grid, and a page showing one epoch needs none).
    /// </summary>
    /// <exception cref="VizInputException">No such trial, layer or epoch (the message says which exist).</exception>
    public async Task<KernelFigure> KernelFigureAsync(long trial, string layer, KernelSelection selection, EpochSelection epochs,
        KernelScaling scaling = KernelScaling.Filter, int? upscale = null, TimeSpan? frameDelay = null, bool change = false, bool animate = false,
        CancellationToken ct = default)
    {
        await TrialAsync(trial, ct);
        var stored = await store.SnapshotEpochsAsync(trial, ct);
        var chosen = epochs.Resolve(stored, trial);
        var history = new List<(int, WeightTensor)>();
        string? tensorName = null;
        async Task<WeightTensor> ReadAsync(int epoch)
        {
            var snapshot = await store.ReadSnapshotAsync(trial, epoch, ct);
            if (snapshot.Count == 0) throw new VizInputException($"trial {trial} has no weight snapshot at epoch {epoch}");
            tensorName ??= LayerNames.ResolveWeight(layer, snapshot, shape => shape.Length == 4, "conv", await LayerNames.LabelsAsync(store, trial, ct));
            var tensor = snapshot.FirstOrDefault(t => t.Name == tensorName)
                ?? throw new VizInputException($"the snapshot of epoch {epoch} has no tensor '{tensorName}'");
            return WeightTensor.From(tensor);
        }
        foreach (var epoch in chosen) history.Add((epoch, await ReadAsync(epoch)));

        var kernels = new KernelHistory(tensorName!, history);
        var subject = $"trial {trial}";
        var baselineEpoch = stored.Min();
        if (change && chosen.All(e => e == baselineEpoch))
            throw new VizInputException($"--change shows each epoch minus epoch {baselineEpoch}, and only epoch {baselineEpoch} is chosen, whose change is 0 everywhere; " +
                                        "choose later epochs too (--epochs all, last, or e.g. 0,5,10)");
        using var picture = change
            ? KernelPictures.DrawChange(kernels, chosen[0] == baselineEpoch ? history[0].Item2 : await ReadAsync(baselineEpoch), baselineEpoch, selection, upscale, subject)
            : KernelPictures.Draw(kernels, selection, scaling, upscale, subject);
        var shape = history[0].Item2.Shape;
        var stem = "kernels-" + SafeName(tensorName!.EndsWith(".weight", StringComparison.Ordinal) ? tensorName[..^".weight".Length] : tensorName)
                   + (selection.Explicit is { Count: > 0 } named ? "-filter-" + string.Join('_', named) : selection.Page is { } page ? $"-page-{page}" : "")
                   + (change ? "-change" : "");
        var grid = new FigureFile(stem + ".png", picture.Grid.EncodePng());
        var animation = animate ? new FigureFile(stem + "-animation.gif", Animation.EncodeGif(picture.Frames, frameDelay ?? TimeSpan.FromMilliseconds(400))) : null;
        var recorded = (await store.GetEpochsAsync(trial, ct)).Select(e => e.Epoch).Where(e => e >= chosen[0] && e <= chosen[^1]);
        IReadOnlyList<int> withoutSnapshot = epochs.Text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) ? [.. recorded.Except(chosen)] : [];
        return new KernelFigure(grid, animation, tensorName, picture.Filters, picture.Epochs, shape[1], shape[2], shape[3], picture.Zoom, picture.Selection, withoutSnapshot);
    }

    /// <summary>
    /// confusion-&lt;split&gt;-epoch-&lt;E&gt;.svg: counts, true class down, predicted class across; the title says which
    /// epoch and why (<see cref="FigureEpoch"/>).
    /// </summary>
    public async Task<string> ConfusionAsync(long trial, ShownEpoch epoch, string split, string outDirectory, CancellationToken ct = default) =>
        (await ConfusionFigureAsync(trial, epoch, split, ct)).Save(outDirectory);

    /// <summary>The confusion matrix <see cref="ConfusionAsync"/> writes, in memory, with its numbers.</summary>
    /// <exception cref="VizInputException">No such trial, or no metrics of that split at that epoch (the message says which epochs have them).</exception>
    public async Task<FigureFile> ConfusionFigureAsync(long trial, ShownEpoch epoch, string split, CancellationToken ct = default)
    {
        var (row, artifact, evaluation) = await EvaluationAsync(trial, epoch.Epoch, split, ct);
        var classes = ClassNames(row.Dataset, evaluation.Classification.Classes);
        var matrix = evaluation.Classification.ConfusionMatrix.Select(r => (IReadOnlyList<double>)r.Select(n => (double)n).ToList()).ToList();
        var chart = new HeatmapChart(
            $"Confusion matrix, trial {trial}, {split} split (accuracy {PercentText.Format(evaluation.Classification.Accuracy)})\n{epoch}",
            "true class", "predicted class", classes, classes, matrix) { ValueFormat = "0", ColourBarLabel = "images" };
        return chart.Render($"confusion-{split}-epoch-{artifact.Epoch}.svg");
    }

    /// <summary>
    /// roc-&lt;split&gt;-epoch-&lt;E&gt;.svg: one-vs-rest ROC per class, its AUC in the legend, the chance diagonal dashed;
    /// the title says which epoch and why.
    /// </summary>
    public async Task<string> RocAsync(long trial, ShownEpoch epoch, string split, string outDirectory, CancellationToken ct = default) =>
        (await RocFigureAsync(trial, epoch, split, ct)).Save(outDirectory);

    /// <summary>The ROC chart <see cref="RocAsync"/> writes, in memory, with its numbers.</summary>
    /// <exception cref="VizInputException">No such trial, or no metrics of that split at that epoch.</exception>
    public async Task<FigureFile> RocFigureAsync(long trial, ShownEpoch epoch, string split, CancellationToken ct = default)
    {
        var (row, artifact, evaluation) = await EvaluationAsync(trial, epoch.Epoch, split, ct);
        var classes = ClassNames(row.Dataset, evaluation.Roc.Classes);
        var series = new List<LineSeries>();
        foreach (var curve in evaluation.Roc.Curves)
        {
            var auc = double.IsNaN(curve.Auc) ? "AUC undefined" : "AUC " + curve.Auc.ToString("0.000", CultureInfo.InvariantCulture);
            series.Add(new LineSeries($"{classes[curve.Class]} ({auc})",
                [.. curve.FalsePositiveRate.Zip(curve.TruePositiveRate, (x, y) => new ChartPoint(x, y))], ChartCanvas.Palette[curve.Class % ChartCanvas.Palette.Count])
                { Markers = false, Width = 1.5 });
        }
        series.Add(new LineSeries("chance", [new(0, 0), new(1, 1)], "#999999", Dashed: true) { Markers = false, Width = 1 });
        var macro = double.IsNaN(evaluation.Roc.MacroAuc) ? "undefined" : evaluation.Roc.MacroAuc.ToString("0.000", CultureInfo.InvariantCulture);
        // The whole unit square with its diagonal: a curve's distance from chance is only readable at its true scale.
        var chart = new LineChart($"One-vs-rest ROC, trial {trial}, {split} split (macro AUC {macro})\n{epoch}",
            "false positive rate", "true positive rate", series)
        {
            XRange = (0, 1), YRange = (0, 1), SquareData = true, LegendInside = true, Width = 720, Height = 700,
        };
        return chart.Render($"roc-{split}-epoch-{artifact.Epoch}.svg");
    }

    /// <summary>
    /// Reads every epoch's snapshot, examines it (<see cref="WeightHealth"/>) and writes one norm chart per layer
    /// (<see cref="NormChart"/>: a line per filter up to 12 filters, quantile bands above), each with its numbers as JSON beside it.
    /// </summary>
    public async Task<HealthFiles> HealthAsync(long trial, string outDirectory, double deadFraction = WeightHealth.DefaultDeadFraction, CancellationToken ct = default)
    {
        var report = await HealthReportAsync(trial, deadFraction, ct);
        Directory.CreateDirectory(outDirectory);
        var jsonPath = Path.Combine(outDirectory, "health.json");
        return new HealthFiles(report, jsonPath, [.. HealthCharts(trial, report).Select(chart => chart.Save(outDirectory))]);
    }

    /// <summary>The norm charts <see cref="HealthAsync"/> writes (health-&lt;tensor&gt;.svg, one per layer of <paramref name="report"/>), in memory.</summary>
    public static IReadOnlyList<FigureFile> HealthCharts(long trial, HealthReport report) =>
        [.. report.Layers.Select(layer => HealthChart(trial, report, layer))];

    /// <summary>One layer's norm chart, health-&lt;tensor&gt;.svg, as <see cref="HealthAsync"/> writes it.</summary>
    public static FigureFile HealthChart(long trial, HealthReport report, LayerHealth layer) =>
        NormChart.Draw(trial, layer, report).Render($"health-{SafeName(layer.Tensor)}.svg");

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

    /// <summary>
    /// covariance-&lt;dataset&gt;.png (<see cref="CovarianceChart"/>): the d×d pixel covariance of a sample of the training
    /// split, zero white, positive red, negative blue, with a colour bar; its numbers beside it as JSON (Json).
    /// </summary>
    public static (string Path, string Json, CovarianceMatrix Matrix) Covariance(string dataset, string home, int sample, CovarianceChannels channels, string outDirectory, int seed = 0)
    {
        var (train, _) = DatasetCatalog.LoadTrainAndTest(dataset, home);
        var matrix = PixelCovariance.Of(train, sample, channels, seed);
        var name = DatasetCatalog.Get(dataset).Name;
        Directory.CreateDirectory(outDirectory);
        var path = Path.Combine(outDirectory, $"covariance-{SafeName(name)}{(channels == CovarianceChannels.All ? "-all-channels" : "")}.png");
        var variables = channels == CovarianceChannels.All ? "every channel of every pixel" : "pixel positions, channel mean";
        CovarianceChart.Write(matrix, $"Pixel covariance of {matrix.Samples} {name} training images ({matrix.Dimension} variables: {variables})", path);
        return (path, ChartCanvas.DataPath(path), matrix);
    }

    /// <summary>
    /// probabilities-&lt;split&gt;-&lt;i&gt;-epoch-&lt;E&gt;.svg (002, Fig. 5): the softmax probability of each class for one
    /// image, the true class in red and the predicted class (the largest probability) in orange, each named in the
    /// legend (one red bar, "true class, predicted", when they are the same); on a 0–1 axis, or with
    /// <paramref name="logScale"/> on a log axis of whole decades down from 1. Its numbers go beside it as JSON. Returns the path.
    /// </summary>
    public static string ProbabilityChart(string outDirectory, long trial, int epoch, string split, int image, IReadOnlyList<string> classNames,
        IReadOnlyList<double> probabilities, int trueClass, bool logScale = false) =>
        ProbabilityChartFigure(trial, epoch, split, image, classNames, probabilities, trueClass, logScale).Save(outDirectory);

    /// <summary>The chart <see cref="ProbabilityChart"/> writes, in memory, with its numbers.</summary>
    public static FigureFile ProbabilityChartFigure(long trial, int epoch, string split, int image, IReadOnlyList<string> classNames,
        IReadOnlyList<double> probabilities, int trueClass, bool logScale = false)
    {
        var predicted = probabilities.Select((p, i) => (p, i)).MaxBy(x => x.p).i;
        var title = $"Class probabilities, trial {trial}, epoch {epoch}, {split} image {image}\ntrue: {classNames[trueClass]}; predicted: {classNames[predicted]}";
        // The log chart has its own name so that drawing it beside the linear one does not overwrite that.
        var name = $"probabilities-{split}-{image}-epoch-{epoch}{(logScale ? "-log" : "")}.svg";
        IReadOnlyList<MarkedBar> marked = predicted == trueClass
            ? [new(trueClass, $"true class, predicted ({classNames[trueClass]})", ChartCanvas.Alert)]
            : [new(trueClass, $"true class ({classNames[trueClass]})", ChartCanvas.Alert), new(predicted, $"predicted class ({classNames[predicted]})", PredictedColour)];
        return new BarChart(title, "class", logScale ? "softmax probability (log scale)" : "softmax probability", classNames, probabilities)
        {
            YRange = logScale ? null : (0, 1), LogScale = logScale, Marked = marked, OthersName = "other classes",
        }.Render(name);
    }

    /// <summary>The predicted class's bar: Category10's orange, apart from the true class's red and the other bars' blue.</summary>
    public const string PredictedColour = "#ff7f0e";

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
