using System.CommandLine;
using System.Globalization;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Visualization;
using Experiments.Visualization.Interpretability;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;

namespace Experiments.Silo.Cli;

/// <summary>
/// <c>viz saliency</c>, <c>viz gradcam</c>, <c>viz cam</c> (seed 004, section 6) and <c>viz activations</c> (seed 000,
/// Fig. 10–12): attribution and feature maps of one dataset image, recomputed from a trial's stored snapshots.
/// </summary>
public static partial class VizCommands
{
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
            $"Input-gradient saliency (Simonyan et al.): the largest {InterpretabilityFigures.SaliencyQuantity} over the channels, beside the image and as an overlay.")
            { o.Trial, o.Image, o.Split, o.Class, o.Epoch, db, output };
        command.SetAction((parse, ct) => WithImageModel(parse, db, o, ct, (model, image) =>
            Describe(model, image, InterpretabilityFigures.Saliency(model, image, parse.GetValue(o.Class), OutDirectory(parse, output, $"trial-{model.TrialId}")))));
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
            "Grad-CAM (Selvaraju et al.): ReLU(Σ_k α_k A^k) at one layer, α_k the spatial mean of d logit / dA^k, resized bilinearly to the image and shown as a heat overlay.")
            { o.Trial, o.Image, layer, o.Split, o.Class, o.Epoch, db, output };
        command.SetAction((parse, ct) => WithImageModel(parse, db, o, ct, (model, image) =>
            Describe(model, image, InterpretabilityFigures.GradCam(model, image, parse.GetValue(layer), parse.GetValue(o.Class), OutDirectory(parse, output, $"trial-{model.TrialId}")))));
        return command;
    }

    private static Command Cam()
    {
        var (db, output, o) = (StoreAccess.DbOption(), OutOption(), AttributionOptions());
        var command = new Command("cam",
            "CAM (Zhou et al.) for networks that end in global average pooling and a linear layer (e.g. resnet-small): Σ_k w_ck A^k at the pooling's input, as a heat overlay.")
            { o.Trial, o.Image, o.Split, o.Class, o.Epoch, db, output };
        command.SetAction((parse, ct) => WithImageModel(parse, db, o, ct, (model, image) =>
            Describe(model, image, InterpretabilityFigures.Cam(model, image, parse.GetValue(o.Class), OutDirectory(parse, output, $"trial-{model.TrialId}")))));
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
        var delay = FrameMillisecondsOption();
        var command = new Command("activations",
            "The feature maps of one image at each epoch, recomputed from the snapshots: per layer a grid (one row of maps per epoch; more than 32 maps wrap after 25) and an animated GIF (one frame per epoch). " +
            "Each epoch is scaled to its own range, black = lowest, white = highest.")
            { trial, image, layer, split, epochs, delay, db, output };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            CheckFrameMilliseconds(parse.GetValue(delay));
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            var id = parse.GetValue(trial);
            using var model = await StoredModel.OpenAsync(store, id, ct);
            var picked = await PickImageAsync(store, model, parse.GetValue(split)!, parse.GetValue(image), ct);
            var plan = model.Model.Plan;
            var layers = parse.GetValue(layer) is { Length: > 0 } chosen ? chosen : [.. ActivationHistory.NamedLayers(plan)];
            if (layers.Length == 0)
                throw new ArgumentException($"{plan.Architecture.Name} has no layer with C×H×W output (no feature maps to show); viz activations draws the maps of conv, activation and pooling layers");
            var selected = new EpochSelection(parse.GetValue(epochs)!).Resolve(model.Epochs, id);
            var files = await InterpretabilityFigures.ActivationsAsync(model, picked, layers, selected, OutDirectory(parse, output, $"trial-{id}"),
                TimeSpan.FromMilliseconds(parse.GetValue(delay)), ct: ct);
            foreach (var file in files)
                Console.Error.WriteLine($"layer {file.Layer} ({file.Label}): {file.Shape[0]} maps of {file.Shape[1]}×{file.Shape[2]}; panels are epochs {string.Join(", ", selected)}");
            var paths = files.SelectMany(f => new[] { f.Grid, f.Animation }).ToList();
            PrintPaths(paths);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Task<int> WithImageModel(ParseResult parse, Option<string?> db, ImageOptions o, CancellationToken ct, Func<StoredModel, PickedImage, string> draw) =>
        CommandErrors.RunAsync(async () =>
        {
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            using var model = await OpenShownEpochAsync(store, parse.GetValue(o.Trial), parse.GetValue(o.Epoch), ct);
            var image = await PickImageAsync(store, model, parse.GetValue(o.Split)!, parse.GetValue(o.Image), ct);
            PrintPaths([draw(model, image)]);
            return CommandErrors.Ok;
        });

    /// <summary>The trial's model with the weights of the epoch a figure shows (<see cref="ShowingEpochAsync"/>) loaded.</summary>
    private static async Task<StoredModel> OpenShownEpochAsync(ResultsStore store, long trial, int? requested, CancellationToken ct)
    {
        var shown = await ShowingEpochAsync(store, trial, requested, ct, fromWeights: true);
        return await StoredModel.OpenAsync(store, trial, shown.Epoch, ct);
    }

    private static Task<PickedImage> PickImageAsync(ResultsStore store, StoredModel model, string split, int index, CancellationToken ct) =>
        DatasetImages.PickAsync(store, model, split, index, ExperimentsHome.Resolve(), ct);

    /// <summary>What was drawn for which image, class and epoch on standard error, and a warning when the map is blank; returns the file.</summary>
    private static string Describe(StoredModel model, PickedImage image, AttributionFile file)
    {
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trial {model.TrialId}, epoch {model.LoadedEpoch}, {image}: {file.What} for class {image.Class(file.Class)}, logit {InterpretabilityFigures.LogitText(file.Score)}; predicted class {image.Class(file.Predicted)}"));
        if (file.Blank is not null) Console.Error.WriteLine(InterpretabilityFigures.BlankMapWarning(file.Blank));
        return file.Path;
    }
}
