using System.Globalization;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Visualization;
using Experiments.Visualization.Interpretability;
using Experiments.Visualization.Snapshots;
using Experiments.Worker.Interpretability;
using Microsoft.Extensions.Caching.Memory;

namespace Experiments.Dashboard;

/// <summary>
/// What one cached picture was drawn from: the trial, the figure ("kernels", "gradcam", …), the figure's other
/// arguments in words (layer, image, class, split) and the epoch.
/// </summary>
internal sealed record FigureKey(long Trial, string Figure, string Arguments, int Epoch);

/// <summary>
/// The trial page's pictures, drawn on demand from the stored metrics and weight snapshots by the very code the
/// <c>viz</c> commands run (<see cref="TrialFigures"/>, <see cref="InterpretabilityFigures"/>,
/// <see cref="ProbabilityFigure"/>), with the arguments the page names and every other option at the command's
/// default, so the browser shows the bytes the command writes. Drawn figures stay in a memory cache
/// (<see cref="DashboardOptions.CachedPictures"/> of them, keyed by <see cref="FigureKey"/>); no activation or picture is
/// ever stored. Every method throws <see cref="ArgumentException"/> (with what exists) for a trial, epoch, layer, image
/// or class that does not.
/// </summary>
internal sealed partial class TrialPictures(ResultsStore store, DashboardOptions options) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.CachedPictures });
    private readonly TrialFigures _figures = new(store);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<(LabelledImages Train, LabelledImages Test)>> _datasets = new();

    /// <summary>How many misclassified images the gallery lists at most (the first ones, by index).</summary>
    public const int GalleryImages = 60;

    /// <summary>
    /// The <paramref name="split"/> images the model gets wrong at <paramref name="epoch"/>: its predictions (the
    /// arg-max logit, as the stored metrics take it) recomputed from the epoch's snapshot over the whole split, cached.
    /// </summary>
    public async Task<MisclassifiedView> MisclassifiedAsync(long trial, string split, int epoch, CancellationToken ct) =>
        (await _cache.GetOrCreateAsync(new FigureKey(trial, "misclassified", split, epoch), async entry =>
        {
            entry.Size = 1;
            var row = await store.GetTrialAsync(trial, ct) ?? throw new ArgumentException($"there is no trial {trial}");
            using var model = await StoredModel.OpenAsync(store, trial, await WeightsEpochAsync(trial, epoch, ct), ct);
            var images = Split(row.Dataset, split);
            if (!images.SampleShape.Equals(model.Model.Plan.Input))
                throw new ArgumentException($"{row.Dataset}'s images are {images.SampleShape}, but trial {trial}'s model takes {model.Model.Plan.Input}");
            using var native = Worker.Engine.NativeDataset.From(images);
            var logits = model.Model.Predict(native);
            var classes = logits.Length / images.Count;
            var wrong = new List<MisclassifiedImage>();
            var count = 0;
            for (var i = 0; i < images.Count; i++)
            {
                var scores = new double[classes];
                for (var c = 0; c < classes; c++) scores[c] = logits[i * classes + c];
                var predicted = ProbabilityFigure.ArgMax(scores);
                if (predicted == images.Labels[i]) continue;
                count++;
                if (wrong.Count < GalleryImages) wrong.Add(new MisclassifiedImage(i, images.Labels[i], predicted));
            }
            return new MisclassifiedView(model.LoadedEpoch!.Value, split, images.Count, count, ProbabilityFigure.ClassNamesOf(row.Dataset, classes), wrong);
        }))!;

    /// <summary>One image of the trial's dataset as the model sees it, enlarged (nearest neighbour) as the attribution pictures show it (PNG).</summary>
    public async Task<FigureFile> ImageAsync(long trial, string split, int index, CancellationToken ct)
    {
        var row = await store.GetTrialAsync(trial, ct) ?? throw new ArgumentException($"there is no trial {trial}");
        return await CachedAsync(new(trial, "image", split, index), () =>
        {
            var images = Split(row.Dataset, split);
            if (index < 0 || index >= images.Count)
                throw new ArgumentException($"image {index} is out of range: the {split} split of {row.Dataset} has images 0–{images.Count - 1}");
            using var picture = AttributionPictures.Enlarged(new Worker.Engine.Tensor([.. images.SampleShape.Dims], images.Sample(index).ToArray()));
            return Task.FromResult(new FigureFile($"image-{split}-{index}.png", picture.EncodePng()));
        });
    }

    /// <summary>A split of a dataset, loaded once per dashboard.</summary>
    private LabelledImages Split(string dataset, string split)
    {
        var (train, test) = _datasets.GetOrAdd(dataset, name => new(() => DatasetCatalog.LoadTrainAndTest(name, options.DatasetHome))).Value;
        return split == "train" ? train : test;
    }

    /// <summary>
    /// <c>viz kernels --trial T --layer L --epochs E</c>'s grid (PNG); with <paramref name="change"/>, that of
    /// <c>--change</c>: epoch E minus the first stored epoch.
    /// </summary>
    public Task<FigureFile> KernelsAsync(long trial, string layer, int epoch, bool change, CancellationToken ct) =>
        CachedAsync(new(trial, change ? "kernel-change" : "kernels", layer, epoch), async () =>
            (await _figures.KernelFigureAsync(trial, layer, KernelSelection.Default, new EpochSelection(Text(epoch)), change: change, ct: ct)).Grid);

    /// <summary><c>viz confusion --trial T --epoch E --split S</c>'s chart (SVG).</summary>
    public Task<FigureFile> ConfusionAsync(long trial, int epoch, string split, CancellationToken ct) =>
        CachedAsync(new(trial, "confusion", split, epoch), async () =>
            await _figures.ConfusionFigureAsync(trial, await FigureEpoch.ResolveAsync(store, trial, epoch, ct), split, ct));

    /// <summary><c>viz roc --trial T --epoch E --split S</c>'s chart (SVG).</summary>
    public Task<FigureFile> RocAsync(long trial, int epoch, string split, CancellationToken ct) =>
        CachedAsync(new(trial, "roc", split, epoch), async () =>
            await _figures.RocFigureAsync(trial, await FigureEpoch.ResolveAsync(store, trial, epoch, ct), split, ct));

    /// <summary>
    /// The weight-health report over every stored snapshot (<c>viz health</c>'s, without the activation checks), cached
    /// until a snapshot is added or pruned.
    /// </summary>
    public async Task<HealthReport> HealthAsync(long trial, CancellationToken ct)
    {
        var stored = await store.SnapshotEpochsAsync(trial, ct);
        return (await _cache.GetOrCreateAsync(new FigureKey(trial, "health", string.Join(',', stored), stored.Count == 0 ? -1 : stored[^1]), async entry =>
        {
            entry.Size = 1;
            return await _figures.HealthReportAsync(trial, ct: ct);
        }))!;
    }

    /// <summary><c>viz health</c>'s norm chart of one layer's weight tensor (health-&lt;tensor&gt;.svg).</summary>
    public async Task<FigureFile> HealthChartAsync(long trial, string tensor, CancellationToken ct)
    {
        var report = await HealthAsync(trial, ct);
        var layer = report.Layers.FirstOrDefault(l => l.Tensor == tensor)
                    ?? throw new ArgumentException($"trial {trial} has no weight tensor '{tensor}'; it has {string.Join(", ", report.Layers.Select(l => l.Tensor))}");
        return await CachedAsync(new(trial, "health", tensor, report.Epochs[^1]), () => Task.FromResult(TrialFigures.HealthChart(trial, report, layer)));
    }

    /// <summary><c>viz activations --trial T --image I --split S --layer L --epochs E</c>'s grid (PNG): the image's feature maps at one layer and epoch.</summary>
    public Task<FigureFile> ActivationsAsync(long trial, int layer, string split, int image, int epoch, CancellationToken ct) =>
        CachedAsync(new(trial, "activations", $"layer {layer}, {split} image {image}", epoch), async () =>
        {
            using var model = await StoredModel.OpenAsync(store, trial, ct);
            var picked = await PickAsync(model, split, image, ct);
            var figures = await InterpretabilityFigures.ActivationFiguresAsync(model, picked, [layer], [await WeightsEpochAsync(trial, epoch, ct)],
                TimeSpan.Zero, animate: false, ct: ct);
            return figures[0].Grid;
        });

    /// <summary>
    /// The picture of <c>viz saliency</c>, <c>viz gradcam</c> (at <paramref name="layer"/>, or its default) or
    /// <c>viz cam</c> (<paramref name="method"/>) for one image, class (default: the predicted one) and epoch (PNG).
    /// </summary>
    public Task<FigureFile> AttributionAsync(long trial, string method, int? layer, string split, int image, int? targetClass, int epoch, CancellationToken ct) =>
        CachedAsync(new(trial, method, $"layer {layer}, {split} image {image}, class {targetClass}", epoch), () => WithImageAsync(trial, split, image, epoch, ct,
            (model, picked) => (method switch
            {
                "saliency" => InterpretabilityFigures.SaliencyFigure(model, picked, targetClass),
                "gradcam" => InterpretabilityFigures.GradCamFigure(model, picked, layer, targetClass),
                "cam" => InterpretabilityFigures.CamFigure(model, picked, targetClass),
                _ => throw new ArgumentException($"there is no attribution method '{method}'; choose saliency, gradcam or cam"),
            }).Picture));

    /// <summary><c>viz probabilities --trial T --image I --split S --epoch E</c>'s bar chart (SVG): the class probabilities of one image.</summary>
    public Task<FigureFile> ProbabilitiesAsync(long trial, string split, int image, int epoch, CancellationToken ct) =>
        CachedAsync(new(trial, "probabilities", $"{split} image {image}", epoch), async () =>
        {
            var dataset = (await store.GetTrialAsync(trial, ct))!.Dataset;
            return await WithImageAsync(trial, split, image, epoch, ct, (model, picked) => ProbabilityFigure.Draw(model, picked, dataset).Chart);
        });

    /// <summary>The trial's model with epoch <paramref name="epoch"/>'s weights and the chosen image, as the <c>viz</c> commands pick them.</summary>
    private async Task<FigureFile> WithImageAsync(long trial, string split, int image, int epoch, CancellationToken ct, Func<StoredModel, PickedImage, FigureFile> draw)
    {
        using var model = await StoredModel.OpenAsync(store, trial, await WeightsEpochAsync(trial, epoch, ct), ct);
        return draw(model, await PickAsync(model, split, image, ct));
    }

    /// <summary>The image as <c>viz</c> picks it (<see cref="DatasetImages.Pick"/>), from the dataset this dashboard has loaded once.</summary>
    private async Task<PickedImage> PickAsync(StoredModel model, string split, int image, CancellationToken ct)
    {
        var dataset = (await store.GetTrialAsync(model.TrialId, ct) ?? throw new ArgumentException($"there is no trial {model.TrialId}")).Dataset;
        return DatasetImages.Pick(Split(dataset, split), dataset, model, split, image);
    }

    /// <summary>The epoch itself, once it is known to have a weight snapshot (else the message names the stored ones).</summary>
    private async Task<int> WeightsEpochAsync(long trial, int epoch, CancellationToken ct) =>
        (await FigureEpoch.ResolveWeightsAsync(store, trial, epoch, ct)).Epoch;

    private async Task<FigureFile> CachedAsync(FigureKey key, Func<Task<FigureFile>> draw) =>
        (await _cache.GetOrCreateAsync(key, async entry =>
        {
            entry.Size = 1;
            return await draw();
        }))!;

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Draws and encodes one tiny kernel picture (PNG) off the request path, so the first picture a user asks for does
    /// not also pay for loading the drawing libraries, the fonts and their first compilation.
    /// </summary>
    public static void WarmUp()
    {
        var weights = new WeightTensor("warm-up.weight", [1, 1, 3, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        using var picture = KernelPictures.Draw(new KernelHistory(weights.Name, [(0, weights)]));
        picture.Grid.EncodePng();
    }

    public void Dispose() => _cache.Dispose();
}
