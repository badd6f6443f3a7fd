using System.Globalization;
using System.Text.Json;
using Experiments.Analysis.Decoding;
using Experiments.Architectures;
using Experiments.Contracts;
using Experiments.Datasets;
using Experiments.Visualization.Pictures;
using Experiments.Worker.Decoding;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;

namespace Experiments.Visualization.Interpretability;

/// <summary>An attribution figure written: its file, the class explained, its logit, the predicted class, and whether the map was blank (and why).</summary>
/// <param name="What">The method and layer in words, e.g. "Grad-CAM at layer 4 (relu, 16×5×5 maps)".</param>
public sealed record AttributionFile(string Path, int Class, float Score, int Predicted, string? Blank, string What);

/// <summary>An attribution figure drawn in memory (<see cref="AttributionFile"/> says what each field means): its PNG, and what it shows.</summary>
public sealed record AttributionFigure(FigureFile Picture, int Class, float Score, int Predicted, string? Blank, string What)
{
    /// <summary>Writes the picture into <paramref name="directory"/> and says where.</summary>
    public AttributionFile Save(string directory) => new(Picture.Save(directory), Class, Score, Predicted, Blank, What);
}

/// <summary>The feature-map figures of one layer drawn in memory: the grid over epochs (PNG) and, when asked for, its animation (GIF).</summary>
public sealed record ActivationFigure(int Layer, string Label, int[] Shape, FigureFile Grid, FigureFile? Animation);

/// <summary>The feature-map figures of one layer: the grid over epochs and its animation (GIF).</summary>
public sealed record ActivationFiles(int Layer, string Label, int[] Shape, string Grid, string Animation);

/// <summary>The decoding figures of one layer and what they show.</summary>
public sealed record DecodeFiles(DecodedLayer Decoded, DecodingEvaluation Evaluation, IReadOnlyList<int> Shown, string Filters, string Thresholded, string TopImages, string Json)
{
    /// <summary>The reconstruction MSE in words (<see cref="LayerDecoding.ErrorInWords"/>).</summary>
    public string ErrorInWords() => LayerDecoding.ErrorInWords(Decoded, Evaluation);
}

/// <summary>
/// One layer's filters decoded at one epoch (seed 003), held in memory: the grids <c>viz decode</c> writes are drawn from
/// it on demand, so the CLI saves them and the dashboard serves the same bytes. It needs the weights alone, no image.
/// </summary>
/// <param name="Trial">The trial the model is from.</param>
/// <param name="Epoch">The epoch whose snapshot was decoded.</param>
/// <param name="Threshold">The fraction of each filter's peak |value| its thresholded view keeps (0–1].</param>
public sealed record DecodedFilters(long Trial, int Epoch, DecodedLayer Decoded, double Threshold)
{
    private string How => Decoded.Unpooling.ToString().ToLowerInvariant();

    /// <summary>Every filter's thresholded view (003, Fig. 1 and 4).</summary>
    public FilterBank ThresholdedFilters { get; } = Decoded.Thresholded(Threshold);

    /// <summary>decode-layer-&lt;L&gt;-epoch-&lt;E&gt;-&lt;unpooling&gt;, the start of every file name.</summary>
    public string Stem => $"decode-layer-{Decoded.Plan.Layer}-epoch-{Epoch}-{How}";

    /// <summary>What the figures' titles say they show: "layer 2 of trial 3 at epoch 1, bicubic unpooling".</summary>
    public string Subject => $"layer {Decoded.Plan.Layer} of trial {Trial} at epoch {Epoch}, {How} unpooling";

    /// <summary>Every decoded filter in one grid (…-filters.png).</summary>
    public FigureFile FilterGrid()
    {
        var f = Decoded.Filters;
        using var grid = DecodedFilterPictures.FilterGrid(f, signed: false, $"The {f.Count} filters of {Subject}, decoded into image space ({f.Channels}×{f.Height}×{f.Width})");
        return new FigureFile(Stem + "-filters.png", grid.EncodePng());
    }

    /// <summary>Every filter's thresholded view in one grid (…-thresholded.png).</summary>
    public FigureFile ThresholdedGrid()
    {
        using var grid = DecodedFilterPictures.FilterGrid(ThresholdedFilters, signed: true,
            $"Thresholded views ({Threshold.ToString("G3", CultureInfo.InvariantCulture)} of each filter's peak) of {Subject}");
        return new FigureFile(Stem + "-thresholded.png", grid.EncodePng());
    }
}

/// <summary>
/// Decoded filters evaluated on test images (003, eq. 3 and Fig. 4): the reconstruction MSE and each filter's top
/// images, from which the top-images figure and the report are drawn in memory.
/// </summary>
/// <param name="Images">The test images the error and the top images were measured on.</param>
public sealed record LayerDecoding(DecodedFilters Filters, DecodingEvaluation Evaluation, LabelledImages Images)
{
    /// <summary>The decoded layer the evaluation measured.</summary>
    public DecodedLayer Decoded => Filters.Decoded;

    /// <summary>
    /// The top-activating images of <paramref name="filters"/>, one row each (…-top.png). Throws
    /// <see cref="ArgumentException"/> naming the layer's filters for one it does not have.
    /// </summary>
    public FigureFile TopImages(IReadOnlyList<int> filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var f = Decoded.Filters;
        foreach (var k in filters)
            if (k < 0 || k >= f.Count)
                throw new ArgumentException($"layer {Decoded.Plan.Layer} has filters {RangeText.Indices(f.Count)}; there is no filter {k}");
        using var figure = DecodedFilterPictures.TopImages(f, Filters.ThresholdedFilters, Evaluation, Images, filters,
            InterpretabilityFigures.TopImagesTitle(Filters.Subject, filters, f.Count, Evaluation.Error.Images));
        return new FigureFile(Filters.Stem + "-top.png", figure.EncodePng());
    }

    /// <summary>The report (….json): the geometry, the reconstruction MSE and every filter's top images.</summary>
    public string Report() => JsonSerializer.Serialize(DecodedFilterPictures.Report(Filters.Trial, Filters.Epoch, Decoded, Evaluation, Images), TrialFigures.Json);

    /// <summary>The reconstruction MSE in words (<see cref="ErrorInWords(DecodedLayer, DecodingEvaluation)"/>).</summary>
    public string ErrorInWords() => ErrorInWords(Decoded, Evaluation);

    /// <summary>
    /// The reconstruction MSE (003, eq. 3) in words, e.g. "0.0402 ± 0.0303 over 100 test images", its numbers to four
    /// significant digits so a small error is not printed as 0. A layer that reads the image itself (nothing to decode
    /// below it) is decoded exactly, so the note says why its error is near 0: only its biases are not in the decoded filters.
    /// </summary>
    public static string ErrorInWords(DecodedLayer decoded, DecodingEvaluation evaluation)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(evaluation);
        var error = evaluation.Error;
        var words = $"{SettingText.Format(error.Mean)} ± {SettingText.Format(error.StandardDeviation)} over {error.Images} test images";
        return decoded.Plan.StepsDown.Count == 0
            ? words + $" (layer {decoded.Plan.Layer} reads the image directly, so its decoded filters are its own weights, exact but for the biases)"
            : words;
    }
}

/// <summary>
/// The figures that need the engine: attribution maps (seed 004, section 6), feature maps over epochs (seed 000,
/// Fig. 10–12) and filter decoding (seed 003), each computed from a trial's stored model and written into a folder.
/// The <c>viz</c> commands and the report call these; they only parse options and print.
/// </summary>
public static class InterpretabilityFigures
{
    /// <summary>
    /// What a saliency map's values are, in the one wording its colour bar, the report and the docs use: the magnitude
    /// of the gradient of the class's pre-softmax score (its logit) with respect to each input pixel.
    /// </summary>
    public const string SaliencyQuantity = "|d logit / d pixel|";

    /// <summary>The one wording, for the command line and the report, of a map that shows no evidence (<see cref="AttributionFile.Blank"/>).</summary>
    public static string BlankMapWarning(string blank) =>
        $"warning: the map is blank ({blank}): it shows no evidence anywhere, so it is drawn hatched, not as a heat map";

    /// <summary>Input-gradient saliency (Simonyan et al. 2014): the largest <see cref="SaliencyQuantity"/> over the channels.</summary>
    public static AttributionFile Saliency(StoredModel model, PickedImage image, int? targetClass, string directory) =>
        SaliencyFigure(model, image, targetClass).Save(directory);

    /// <summary>The saliency picture <see cref="Saliency"/> writes, in memory.</summary>
    public static AttributionFigure SaliencyFigure(StoredModel model, PickedImage image, int? targetClass)
    {
        var map = Attribution.Saliency(model.Model, image.Pixels, targetClass);
        return Draw(model, image, $"saliency-{image.Split}-{image.Index}-class-{map.Class}-epoch-{model.LoadedEpoch}",
            "Saliency", "saliency", $"{SaliencyQuantity}, max over channels; min–max scaled", map.Class, map.Score,
            Attribution.Normalise(map.Map), Range(map.Map), map.Blank);
    }

    /// <summary>
    /// Grad-CAM (Selvaraju et al. 2017) at <paramref name="layer"/>, or by default at the last rectified maps
    /// (<see cref="Attribution.GradCamLayer"/>).
    /// </summary>
    /// <exception cref="ArgumentException">No such layer, or (by default) an architecture without rectified maps to explain.</exception>
    public static AttributionFile GradCam(StoredModel model, PickedImage image, int? layer, int? targetClass, string directory) =>
        GradCamFigure(model, image, layer, targetClass).Save(directory);

    /// <summary>The Grad-CAM picture <see cref="GradCam"/> writes, in memory.</summary>
    /// <exception cref="ArgumentException">As <see cref="GradCam"/>.</exception>
    public static AttributionFigure GradCamFigure(StoredModel model, PickedImage image, int? layer, int? targetClass)
    {
        var map = Attribution.GradCam(model.Model, image.Pixels, layer ?? Attribution.GradCamLayer(model.Model.Plan), targetClass);
        var where = $"layer {map.Layer} ({model.Model.Plan.Layers[map.Layer].Description}, {map.Raw.Shape[0]}×{map.Raw.Shape[1]} maps)";
        return Draw(model, image, $"gradcam-layer-{map.Layer}-{image.Split}-{image.Index}-class-{map.Class}-epoch-{model.LoadedEpoch}",
            layer is null ? $"Grad-CAM at the last rectified maps, {where}" : $"Grad-CAM at {where}", "Grad-CAM",
            $"ReLU(Σ α_k A^k) at layer {map.Layer}, bilinear to the image; min–max scaled", map.Class, map.Score, map.Upsampled, Range(map.Raw), map.Blank);
    }

    /// <summary>CAM (Zhou et al. 2016), for networks that end in global average pooling and a linear layer.</summary>
    /// <exception cref="ArgumentException">The architecture does not end that way.</exception>
    public static AttributionFile Cam(StoredModel model, PickedImage image, int? targetClass, string directory) =>
        CamFigure(model, image, targetClass).Save(directory);

    /// <summary>The CAM picture <see cref="Cam"/> writes, in memory.</summary>
    /// <exception cref="ArgumentException">As <see cref="Cam"/>.</exception>
    public static AttributionFigure CamFigure(StoredModel model, PickedImage image, int? targetClass)
    {
        var map = Attribution.Cam(model.Model, image.Pixels, targetClass);
        return Draw(model, image, $"cam-{image.Split}-{image.Index}-class-{map.Class}-epoch-{model.LoadedEpoch}",
            $"CAM at layer {map.Layer} ({map.Raw.Shape[0]}×{map.Raw.Shape[1]} maps)", "CAM",
            $"Σ w_ck A^k at layer {map.Layer}, bilinear to the image; min–max scaled", map.Class, map.Score, map.Upsampled, Range(map.Raw), map.Blank);
    }

    private static AttributionFigure Draw(StoredModel model, PickedImage image, string stem, string what, string mapName, string scale,
        int target, float score, Tensor heat, (double, double) range, string? blank)
    {
        var predicted = DatasetImages.Predicted(model.Model, image);
        var title = $"{what}, trial {model.TrialId}, epoch {model.LoadedEpoch}";
        var mapLabel = $"{mapName} of class {target} (logit {LogitText(score)})";
        using var picture = AttributionPictures.Panel(title, image, predicted, heat, range, blank, mapLabel, scale);
        return new AttributionFigure(new FigureFile(stem + ".png", picture.EncodePng()), target, score, predicted, blank, what);
    }

    /// <summary>A logit as the attribution panel and the command's report on standard error both write it, so the two agree (9.872).</summary>
    public static string LogitText(float score) => SettingText.Format(score);

    private static (double Low, double High) Range(Tensor map) => (map.Data.Min(), map.Data.Max());

    /// <summary>
    /// activations-layer-&lt;L&gt;-&lt;split&gt;-&lt;i&gt;.png (one panel per epoch) and …-animation.gif (one frame per
    /// epoch) for each of <paramref name="layers"/>, recomputed from the snapshots.
    /// </summary>
    /// <exception cref="ArgumentException">A layer that does not exist or has no C×H×W output.</exception>
    public static async Task<IReadOnlyList<ActivationFiles>> ActivationsAsync(StoredModel model, PickedImage image, IReadOnlyList<int> layers,
        IReadOnlyList<int> epochs, string directory, TimeSpan frameDelay, string? fileSuffix = null, bool animate = true, CancellationToken ct = default)
    {
        var figures = await ActivationFiguresAsync(model, image, layers, epochs, frameDelay, fileSuffix, animate, ct);
        var files = new List<ActivationFiles>();
        foreach (var figure in figures)
        {
            var grid = figure.Grid.Save(directory);
            // Without an animation the path is still named, as before, for callers that list both.
            var animation = figure.Animation?.Save(directory) ?? Path.Combine(directory, Path.GetFileNameWithoutExtension(figure.Grid.Name) + "-animation.gif");
            files.Add(new ActivationFiles(figure.Layer, figure.Label, figure.Shape, grid, animation));
        }
        return files;
    }

    /// <summary>The feature-map figures <see cref="ActivationsAsync"/> writes, in memory; the animations only when <paramref name="animate"/>.</summary>
    /// <exception cref="ArgumentException">A layer that does not exist or has no C×H×W output.</exception>
    public static async Task<IReadOnlyList<ActivationFigure>> ActivationFiguresAsync(StoredModel model, PickedImage image, IReadOnlyList<int> layers,
        IReadOnlyList<int> epochs, TimeSpan frameDelay, string? fileSuffix = null, bool animate = true, CancellationToken ct = default)
    {
        var plan = model.Model.Plan;
        foreach (var l in layers)
        {
            if (l < 0 || l >= plan.Layers.Count) throw new ArgumentException(model.Model.NoSuchLayer(l));
            if (plan.Layers[l].Output.Rank != 3)
                throw new ArgumentException($"layer {l} ({plan.Layers[l].Description}) outputs {plan.Layers[l].Output}, not maps; viz activations shows C×H×W outputs");
        }
        var history = await ActivationHistory.ComputeAsync(model, image.Pixels, layers, epochs, ct);
        var figures = new List<ActivationFigure>();
        foreach (var l in layers)
        {
            var rows = history.Where(a => a.Layer == l).ToList();
            var shape = rows[0].Output.Shape;
            var title = $"Feature maps of layer {l} ({rows[0].Label}), {shape[0]}×{shape[1]}×{shape[2]}, trial {model.TrialId}: {image}";
            var (grid, frames) = ActivationPictures.Draw(rows, title);
            var stem = $"activations-layer-{l}-{image.Split}-{image.Index}{fileSuffix}";
            var gridFigure = new FigureFile(stem + ".png", grid.EncodePng());
            var animation = animate ? new FigureFile(stem + "-animation.gif", Animation.EncodeGif(frames, frameDelay)) : null;
            grid.Dispose();
            foreach (var frame in frames) frame.Dispose();
            figures.Add(new ActivationFigure(l, rows[0].Label, shape, gridFigure, animation));
        }
        return figures;
    }

    /// <summary>The top-images figure shows this many filters unless told which.</summary>
    public const int TopFigureDefaultFilters = 100;

    /// <summary>
    /// The top-activating figure's title: which of the layer's filters it shows (its rows; the default shows only the
    /// first <see cref="TopFigureDefaultFilters"/>) and how many test images their top ones were picked from.
    /// </summary>
    public static string TopImagesTitle(string subject, IReadOnlyList<int> shown, int filterCount, int images) =>
        $"Top-activating test images of {subject}: {FiltersShown(shown, filterCount)}, top images picked among {images} test images";

    /// <summary>"filters 0–99 of 500" for a run without gaps, else "filters 3, 7 of 500"; "filter 4 of 500" for one.</summary>
    private static string FiltersShown(IReadOnlyList<int> shown, int filterCount) =>
        $"{(shown.Count == 1 ? "filter" : "filters")} {RangeText.List(shown)} of {filterCount}";

    /// <summary>How many test images (the first ones) <c>viz decode</c> and the dashboard measure the error and the top images on.</summary>
    public const int DecodeSampleDefault = 1000;

    /// <summary>How many top-activating images <c>viz decode</c> and the dashboard show per filter.</summary>
    public const int DecodeTopDefault = 4;

    /// <summary>
    /// 003's decoding of layer <paramref name="layer"/> at the loaded epoch, in memory. Throws
    /// <see cref="ArgumentException"/> (<see cref="DecodingException"/>) for a layer that does not decode, naming those that do.
    /// </summary>
    public static DecodedFilters DecodeFilters(StoredModel model, int layer, Unpooling unpooling, double threshold)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new DecodedFilters(model.TrialId, model.LoadedEpoch!.Value, LayerDecoder.Decode(model.Model, layer, unpooling), threshold);
    }

    /// <summary>
    /// <paramref name="filters"/> evaluated on <paramref name="images"/> through the same model: the reconstruction MSE
    /// (003, eq. 3), and each filter's <paramref name="top"/> images by the network's response and by the decoded filter.
    /// </summary>
    public static LayerDecoding Evaluate(StoredModel model, DecodedFilters filters, LabelledImages images, int top)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(filters);
        return new LayerDecoding(filters, LayerDecoder.Evaluate(model.Model, filters.Decoded, images, top), images);
    }

    /// <summary>
    /// 003's decoding of layer <paramref name="layer"/> at the loaded epoch, evaluated on <paramref name="images"/>, written into
    /// <paramref name="directory"/>: decoded filters, thresholded views and the top-activating images of
    /// <paramref name="shown"/> (default: the first <see cref="TopFigureDefaultFilters"/>) (PNG), and the report (JSON), named
    /// decode-layer-&lt;L&gt;-epoch-&lt;E&gt;-&lt;unpooling&gt;-….
    /// </summary>
    public static DecodeFiles Decode(StoredModel model, int layer, Unpooling unpooling, LabelledImages images, int top, double threshold,
        IReadOnlyList<int>? shown, string directory, bool topImages = true)
    {
        var decoding = Evaluate(model, DecodeFilters(model, layer, unpooling, threshold), images, top);
        var filters = shown ?? Enumerable.Range(0, Math.Min(decoding.Decoded.Filters.Count, TopFigureDefaultFilters)).ToList();
        var topFigure = topImages && filters.Count > 0 ? decoding.TopImages(filters) : null;
        var written = decoding.Filters.FilterGrid().Save(directory);
        var thresholded = decoding.Filters.ThresholdedGrid().Save(directory);
        var topPath = topFigure?.Save(directory) ?? Path.Combine(directory, decoding.Filters.Stem + "-top.png");
        var json = Path.Combine(directory, decoding.Filters.Stem + ".json");
        File.WriteAllText(json, decoding.Report());
        return new DecodeFiles(decoding.Decoded, decoding.Evaluation, filters, written, thresholded, topPath, json);
    }
}
