using System.CommandLine;
using System.Globalization;
using Experiments.Analysis.Decoding;
using Experiments.Datasets;
using Experiments.Visualization;
using Experiments.Visualization.Interpretability;
using Experiments.Worker.Decoding;
using Experiments.Worker.Interpretability;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments viz decode</c>: filter decoding by substitution (seed 003), from a stored snapshot.</summary>
public static partial class VizCommands
{

    static partial void AddDecodeCommands(Command viz) => viz.Subcommands.Add(Decode());

    private static Command Decode()
    {
        var (db, output, trial) = (StoreAccess.DbOption(), OutOption(), TrialOption());
        var layer = new Option<string>("--layer", "-l")
        {
            Description = "The conv or linear layer to decode: its index in the layer list (e.g. 2) or its weight tensor's name (2.weight). " +
                          "On lenet-matconvnet, 003's L3, L5 and L7 are layers 2, 4 and 6.",
            Required = true,
        };
        var epoch = EpochOption();
        var unpool = new Option<string>("--unpool") { Description = "How pooling layers are undone: nearest, bilinear or bicubic (003, Table 1).", DefaultValueFactory = _ => "bicubic" };
        unpool.AcceptOnlyFromAmong("nearest", "bilinear", "bicubic");
        var sample = new Option<int>("--sample", "-n") { Description = "How many test images (the first ones) the reconstruction error and the top images use.", DefaultValueFactory = _ => InterpretabilityFigures.DecodeSampleDefault };
        var top = new Option<int>("--top") { Description = "Top-activating images shown per filter.", DefaultValueFactory = _ => InterpretabilityFigures.DecodeTopDefault };
        var threshold = new Option<double>("--threshold")
        {
            Description = "Thresholded views keep the sign of values reaching this fraction of the filter's largest magnitude.",
            DefaultValueFactory = _ => ThresholdedViews.DefaultFraction,
        };
        var filter = new Option<int[]>("--filter", "-f")
        {
            Description = $"Filters in the top-images figure (e.g. --filter 0 3). Default: all, or the first {InterpretabilityFigures.TopFigureDefaultFilters}.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("decode",
            "Filter decoding by substitution (003, section 3): every filter of a layer decoded into image space (a grid), its thresholded views, " +
            "the top-activating test images per filter, and the reconstruction MSE of 003's Table 1. Writes decode-layer-<L>-epoch-<E>-<unpooling>-filters.png, " +
            "-thresholded.png and -top.png, and decode-layer-<L>-epoch-<E>-<unpooling>.json (the MSE, and each filter's top images and their activations).")
            { trial, layer, epoch, unpool, sample, top, threshold, filter, db, output };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var id = parse.GetValue(trial);
            if (parse.GetValue(sample) < 1) throw new ArgumentException("--sample must be at least 1");
            if (parse.GetValue(top) < 1) throw new ArgumentException("--top must be at least 1");
            if (parse.GetValue(threshold) is not (> 0 and <= 1)) throw new ArgumentException("--threshold must lie in (0, 1]");
            var unpooling = Enum.Parse<Unpooling>(parse.GetValue(unpool)!, ignoreCase: true);

            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            using var stored = await OpenShownEpochAsync(store, id, parse.GetValue(epoch), ct);
            var row = (await store.GetTrialAsync(id, ct))!;
            var layerIndex = ParseLayer(parse.GetValue(layer)!);
            var images = DatasetCatalog.Load(row.Dataset, ExperimentsHome.Resolve()).Test.Take(parse.GetValue(sample));
            if (images.Count == 0) throw new ArgumentException($"the test split of {row.Dataset} is empty");
            var files = InterpretabilityFigures.Decode(stored, layerIndex, unpooling, images, parse.GetValue(top), parse.GetValue(threshold),
                parse.GetValue(filter) is { Length: > 0 } chosen ? chosen : null, OutDirectory(parse, output, $"trial-{id}"));
            var decoded = files.Decoded;
            var f = decoded.Filters;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"layer {layerIndex} of trial {id} at epoch {stored.LoadedEpoch}: {f.Count} filters decoded to {f.Channels}×{f.Height}×{f.Width} " +
                $"with {unpooling.ToString().ToLowerInvariant()} unpooling in {decoded.Elapsed.TotalSeconds:0.000} s"));
            Console.Error.WriteLine($"reconstruction MSE (003, eq. 3): {files.ErrorInWords()}");
            Console.Error.WriteLine($"top figure: one row per filter ({files.Shown.Count} shown): decoded, thresholded, then the top {parse.GetValue(top)} images by network response, then by the decoded filter");
            PrintPaths([files.Filters, files.Thresholded, files.TopImages, files.Json]);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static int ParseLayer(string text)
    {
        var trimmed = text.EndsWith(".weight", StringComparison.Ordinal) ? text[..^".weight".Length] : text;
        return int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : throw new ArgumentException($"--layer takes a layer index such as 2, or a weight name such as 2.weight; got '{text}'");
    }
}
