using System.CommandLine;
using System.Globalization;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Visualization;
using Experiments.Visualization.Imaging;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;

namespace Experiments.Silo.Cli;

/// <summary>
/// <c>viz saliency</c>, <c>viz gradcam</c>, <c>viz cam</c> (seed 004, section 6) and <c>viz activations</c> (seed 000,
/// Fig. 10–12): attribution and feature maps of one dataset image, recomputed from a trial's stored snapshots.
/// </summary>
public static partial class VizCommands
{
    // Small images (MNIST's 28×28) are enlarged to about this many pixels a side so a person can see them.
    private const int PictureSide = 224;
    private const int ActivationTileSide = 56;

    static partial void AddInterpretabilityCommands(Command viz)
    {
        viz.Subcommands.Add(Saliency());
        viz.Subcommands.Add(GradCam());
        viz.Subcommands.Add(Cam());
        viz.Subcommands.Add(Activations());
    }

    private sealed record ImageOptions(Option<long> Trial, Option<int> Image, Option<string> Split, Option<int?> Class, Option<int?> Epoch);

    private static ImageOptions AttributionOptions() => new(
        TrialOption(),
        new Option<int>("--image", "-i") { Description = "The image: its index in the trial's dataset split (see --split).", Required = true },
        SplitOption(),
        new Option<int?>("--class", "-c") { Description = "The class whose score (its pre-softmax logit) is explained. Default: the predicted class." },
        EpochOption());

    private static Option<string> SplitOption()
    {
        var split = new Option<string>("--split", "-s") { Description = "The dataset split the image comes from: test or train.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "train");
        return split;
    }

    private static Command Saliency()
    {
        var (db, output, o) = (StoreAccess.DbOption(), OutOption(), AttributionOptions());
        var command = new Command("saliency",
            "Input-gradient saliency (Simonyan et al.): the largest |d score / d pixel| over the channels, beside the image and as an overlay.")
            { o.Trial, o.Image, o.Split, o.Class, o.Epoch, db, output };
        command.SetAction((parse, ct) => WithImageModel(parse, db, o, ct, (model, image, label) =>
        {
            var map = Attribution.Saliency(model.Model, image.Pixels, parse.GetValue(o.Class));
            Describe(model, image, label, map.Class, map.Score, "saliency", map.Blank);
            var heat = Attribution.Normalise(map.Map);
            return [WritePanel(parse, output, model, image, heat, map.Blank, $"saliency-{image.Split}-{image.Index}-class-{map.Class}-epoch-{model.LoadedEpoch}")];
        }));
        return command;
    }

    private static Command GradCam()
    {
        var (db, output, o) = (StoreAccess.DbOption(), OutOption(), AttributionOptions());
        var layer = new Option<int?>("--layer", "-l")
        {
            Description = $"The layer (its index in the layer list, see `{ExperimentsCommand.Name} model show`) whose maps are weighted; any layer with C×H×W output. " +
                          "Default: the last convolutional block's output after its nonlinearity (the last rectified maps larger than 1×1), as in the Grad-CAM paper.",
        };
        var command = new Command("gradcam",
            "Grad-CAM (Selvaraju et al.): ReLU(Σ_k α_k A^k) at one layer, α_k the spatial mean of d score / dA^k, resized bilinearly to the image and shown as a heat overlay.")
            { o.Trial, o.Image, layer, o.Split, o.Class, o.Epoch, db, output };
        command.SetAction((parse, ct) => WithImageModel(parse, db, o, ct, (model, image, label) =>
        {
            var chosen = parse.GetValue(layer);
            var map = Attribution.GradCam(model.Model, image.Pixels, chosen ?? Attribution.GradCamLayer(model.Model.Plan), parse.GetValue(o.Class));
            var where = $"layer {map.Layer} ({LayerDescriptions.Label(model.Model.Plan.Layers[map.Layer].Layer)}, {map.Raw.Shape[0]}×{map.Raw.Shape[1]} maps)";
            Describe(model, image, label, map.Class, map.Score, chosen is null ? $"Grad-CAM at the last rectified maps, {where}" : $"Grad-CAM at {where}", map.Blank);
            return [WritePanel(parse, output, model, image, map.Upsampled, map.Blank, $"gradcam-layer-{map.Layer}-{image.Split}-{image.Index}-class-{map.Class}-epoch-{model.LoadedEpoch}")];
        }));
        return command;
    }

    private static Command Cam()
    {
        var (db, output, o) = (StoreAccess.DbOption(), OutOption(), AttributionOptions());
        var command = new Command("cam",
            "CAM (Zhou et al.) for networks that end in global average pooling and a linear layer (e.g. resnet-small): Σ_k w_ck A^k at the pooling's input, as a heat overlay.")
            { o.Trial, o.Image, o.Split, o.Class, o.Epoch, db, output };
        command.SetAction((parse, ct) => WithImageModel(parse, db, o, ct, (model, image, label) =>
        {
            var map = Attribution.Cam(model.Model, image.Pixels, parse.GetValue(o.Class));
            Describe(model, image, label, map.Class, map.Score, $"CAM at layer {map.Layer} ({map.Raw.Shape[0]}×{map.Raw.Shape[1]} maps)", map.Blank);
            return [WritePanel(parse, output, model, image, map.Upsampled, map.Blank, $"cam-{image.Split}-{image.Index}-class-{map.Class}-epoch-{model.LoadedEpoch}")];
        }));
        return command;
    }

    private static Command Activations()
    {
        var (db, output, trial, split) = (StoreAccess.DbOption(), OutOption(), TrialOption(), SplitOption());
        var image = new Option<int>("--image", "-i") { Description = "The image: its index in the trial's dataset split (see --split).", Required = true };
        var layer = new Option<int[]>("--layer", "-l")
        {
            Description = "The layer(s) to show, by index (repeatable). Default: every convolution, activation and pooling output.",
            AllowMultipleArgumentsPerToken = true,
        };
        var epochs = new Option<string>("--epochs") { Description = "all, last, first, or a list such as 0,5,10-12.", DefaultValueFactory = _ => "all" };
        var delay = new Option<int>("--frame-ms") { Description = "Animation frame duration in milliseconds.", DefaultValueFactory = _ => 400 };
        var command = new Command("activations",
            "The feature maps of one image at each epoch, recomputed from the snapshots: per layer a grid (one row of maps per epoch; more than 32 maps wrap after 25) and an animated PNG (one frame per epoch). " +
            "Each epoch is scaled to its own range, black = lowest, white = highest.")
            { trial, image, layer, split, epochs, delay, db, output };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            if (parse.GetValue(delay) < 1) throw new ArgumentException("--frame-ms must be at least 1");
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            var id = parse.GetValue(trial);
            using var model = await StoredModel.OpenAsync(store, id, ct);
            var picked = await PickImageAsync(store, model, parse.GetValue(split)!, parse.GetValue(image), ct);
            var plan = model.Model.Plan;
            var layers = parse.GetValue(layer) is { Length: > 0 } chosen ? chosen : [.. ActivationHistory.NamedLayers(plan)];
            if (layers.Length == 0)
                throw new ArgumentException($"{plan.Architecture.Name} has no layer with C×H×W output (no feature maps to show); viz activations draws the maps of conv, activation and pooling layers");
            foreach (var l in layers)
            {
                if (l < 0 || l >= plan.Layers.Count) throw new ArgumentException(model.Model.NoSuchLayer(l));
                if (plan.Layers[l].Output.Rank != 3)
                    throw new ArgumentException($"layer {l} ({LayerDescriptions.Label(plan.Layers[l].Layer)}) outputs {plan.Layers[l].Output}, not maps; viz activations shows C×H×W outputs");
            }
            var selected = new EpochSelection(parse.GetValue(epochs)!).Resolve(model.Epochs, id);
            var history = await ActivationHistory.ComputeAsync(model, picked.Pixels, layers, selected, ct);

            var directory = OutDirectory(parse, output, $"trial-{id}");
            Directory.CreateDirectory(directory);
            var paths = new List<string>();
            foreach (var l in layers)
            {
                var rows = history.Where(a => a.Layer == l).ToList();
                var (grid, frames) = ActivationPictures(rows);
                var stem = Path.Combine(directory, $"activations-layer-{l}-{picked.Split}-{picked.Index}");
                PngEncoder.Write(stem + ".png", grid);
                PngEncoder.WriteAnimation(stem + "-animation.png", frames, TimeSpan.FromMilliseconds(parse.GetValue(delay)));
                paths.AddRange([stem + ".png", stem + "-animation.png"]);
                Console.Error.WriteLine($"layer {l} ({rows[0].Label}): {rows[0].Output.Shape[0]} maps of {rows[0].Output.Shape[1]}×{rows[0].Output.Shape[2]}; rows are epochs {string.Join(", ", selected)}");
            }
            PrintPaths(paths);
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>An image picked from a trial's dataset: its pixels (as the model sees them) and where it came from.</summary>
    private sealed record PickedImage(Tensor Pixels, string Split, int Index, int Label, string ClassName);

    private static Task<int> WithImageModel(ParseResult parse, Option<string?> db, ImageOptions o, CancellationToken ct,
        Func<StoredModel, PickedImage, string, IReadOnlyList<string>> draw) =>
        CommandErrors.RunAsync(async () =>
        {
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            using var model = await OpenShownEpochAsync(store, parse.GetValue(o.Trial), parse.GetValue(o.Epoch), ct);
            var image = await PickImageAsync(store, model, parse.GetValue(o.Split)!, parse.GetValue(o.Image), ct);
            PrintPaths(draw(model, image, $"{image.Label} ({image.ClassName})"));
            return CommandErrors.Ok;
        });

    /// <summary>The trial's model with the weights of the epoch a figure shows (<see cref="ShowingEpochAsync"/>) loaded.</summary>
    private static async Task<StoredModel> OpenShownEpochAsync(ResultsStore store, long trial, int? requested, CancellationToken ct)
    {
        var shown = await ShowingEpochAsync(store, trial, requested, ct, fromWeights: true);
        return await StoredModel.OpenAsync(store, trial, shown.Epoch, ct);
    }

    private static async Task<PickedImage> PickImageAsync(ResultsStore store, StoredModel model, string split, int index, CancellationToken ct)
    {
        var row = await store.GetTrialAsync(model.TrialId, ct) ?? throw new ArgumentException($"there is no trial {model.TrialId}");
        var (train, test) = DatasetCatalog.LoadTrainAndTest(row.Dataset, ExperimentsHome.Resolve());
        var images = split == "train" ? train : test;
        if (index < 0 || index >= images.Count)
            throw new ArgumentException($"--image {index} is out of range: the {split} split of {row.Dataset} has images 0..{images.Count - 1}");
        if (!images.SampleShape.Equals(model.Model.Plan.Input))
            throw new ArgumentException($"{row.Dataset}'s images are {images.SampleShape}, but trial {model.TrialId}'s model takes {model.Model.Plan.Input}");
        var label = images.Labels[index];
        var name = label < images.ClassNames.Count ? images.ClassNames[label] : label.ToString(CultureInfo.InvariantCulture);
        return new PickedImage(new Tensor([.. images.SampleShape.Dims], images.Sample(index).ToArray()), split, index, label, name);
    }

    /// <summary>What was drawn for which image, class and epoch on standard error, and a warning when the map is blank.</summary>
    private static void Describe(StoredModel model, PickedImage image, string label, int target, float score, string what, string? blank)
    {
        var logits = model.Model.Forward(new Tensor([1, .. image.Pixels.Shape], image.Pixels.Data))[^1].Data;
        var predicted = Array.IndexOf(logits, logits.Max());
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trial {model.TrialId}, epoch {model.LoadedEpoch}, {image.Split} image {image.Index} (label {label}): {what} for class {target}, logit {score:G4}; predicted class {predicted}"));
        if (blank is not null) Console.Error.WriteLine(BlankMapWarning(blank));
    }

    /// <summary>The one wording, for the command line and the report, of a map that shows no evidence.</summary>
    private static string BlankMapWarning(string blank) =>
        $"warning: the map is blank ({blank}): it shows no evidence anywhere, so it is drawn hatched, not as a heat map";

    /// <summary>
    /// image | heat map | overlay, side by side, enlarged to about <see cref="PictureSide"/> pixels a side. The heat
    /// (already in [0, 1]) uses viridis; the overlay blends it half and half with the image in grey. A blank map
    /// (<paramref name="blank"/> says why) has no heat to show: its tile is hatched grey and the overlay is the image
    /// alone, so it cannot be read as a map that found nothing of interest in a flat colour.
    /// </summary>
    private static string WritePanel(ParseResult parse, Option<string?> output, StoredModel model, PickedImage image, Tensor heat, string? blank, string stem)
    {
        int height = image.Pixels.Shape[1], width = image.Pixels.Shape[2];
        var picture = ImagePicture(image.Pixels);
        var factor = Math.Max(1, (int)Math.Ceiling((double)PictureSide / Math.Max(width, height)));
        RasterImage heatTile, overlay;
        if (blank is null)
        {
            var heatPicture = Raster.FromValues(heat.Data, width, height, ColorMap.Viridis, 0, 1);
            overlay = new RasterImage(width, height);
            for (var y = 0; y < height; y++)
                for (var x = 0; x < width; x++)
                {
                    var (p, h) = (picture.GetPixel(x, y), heatPicture.GetPixel(x, y));
                    var grey = (p.R + p.G + p.B) / 3.0;
                    overlay.SetPixel(x, y, new Rgb(Blend(grey, h.R), Blend(grey, h.G), Blend(grey, h.B)));
                }
            heatTile = Raster.Upscale(heatPicture, factor);
        }
        else
        {
            overlay = picture;
            heatTile = Hatched(width * factor, height * factor);
        }
        var tiles = new[] { Raster.Upscale(picture, factor), heatTile, Raster.Upscale(overlay, factor) }.Select(t => (RasterImage?)t).ToList();
        var layout = new GridLayout(width * factor, height * factor, 1, 3, Padding: 6, Margin: 6);
        var directory = OutDirectory(parse, output, $"trial-{model.TrialId}");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, stem + ".png");
        PngEncoder.Write(path, ImageGrid.Compose([tiles], layout, Rgb.White));
        return path;
    }

    private static byte Blend(double grey, byte heat) => (byte)Math.Round(0.5 * grey + 0.5 * heat);

    /// <summary>Light grey with darker diagonal stripes: the tile of a map that has nothing to show.</summary>
    private static RasterImage Hatched(int width, int height)
    {
        var tile = new RasterImage(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                tile.SetPixel(x, y, (x + y) % 16 < 3 ? Rgb.Grey(150) : Rgb.Grey(225));
        return tile;
    }

    /// <summary>The dataset image as stored (normalised to [−1, 1]) back in 8-bit grey or RGB.</summary>
    private static RasterImage ImagePicture(Tensor pixels)
    {
        int channels = pixels.Shape[0], height = pixels.Shape[1], width = pixels.Shape[2], plane = height * width;
        var picture = new RasterImage(width, height);
        byte Level(int c, int i) => (byte)Math.Round(Math.Clamp((pixels.Data[c * plane + i] + 1) / 2, 0, 1) * 255);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var i = y * width + x;
                picture.SetPixel(x, y, channels >= 3 ? new Rgb(Level(0, i), Level(1, i), Level(2, i)) : Rgb.Grey(Level(0, i)));
            }
        return picture;
    }

    /// <summary>The maps of each epoch in channel order, one line (or 25 to a line beyond 32 maps); each frame of the animation is one epoch on its own.</summary>
    private static (RasterImage Grid, IReadOnlyList<RasterImage> Frames) ActivationPictures(IReadOnlyList<LayerActivation> epochs)
    {
        int channels = epochs[0].Output.Shape[0], height = epochs[0].Output.Shape[1], width = epochs[0].Output.Shape[2];
        var factor = Math.Max(1, (int)Math.Ceiling((double)ActivationTileSide / Math.Max(width, height)));
        var rows = epochs.Select(e =>
        {
            var (low, high) = Raster.FiniteRange(e.Output.Data);
            return (IReadOnlyList<RasterImage?>)Enumerable.Range(0, channels)
                .Select(c => (RasterImage?)Raster.Upscale(Raster.FromValues(e.Output.Data.AsSpan(c * width * height, width * height), width, height, ColorMap.Grey, low, high), factor))
                .ToList();
        }).ToList();
        // Up to 32 maps an epoch fit on one line; wider layers (lenet-matconvnet's 500 channels) wrap after 25, so an
        // epoch takes ⌈C/25⌉ lines of the grid, and each animation frame is that block on its own.
        var background = new Rgb(70, 90, 120);
        var columns = channels <= 32 ? channels : 25;
        var lines = (channels + columns - 1) / columns;
        var blocks = rows.Select(row => Enumerable.Range(0, lines)
            .Select(line => (IReadOnlyList<RasterImage?>)row.Skip(line * columns).Take(columns).ToList()).ToList()).ToList();
        var grid = ImageGrid.Compose([.. blocks.SelectMany(b => b)], new GridLayout(width * factor, height * factor, rows.Count * lines, columns), background);
        var frameLayout = new GridLayout(width * factor, height * factor, lines, columns);
        var frames = blocks.Select(block => ImageGrid.Compose(block, frameLayout, background)).ToList();
        return (grid, frames);
    }
}
