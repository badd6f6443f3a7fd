using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Experiments.Analysis.Decoding;
using Experiments.Datasets;
using Experiments.Visualization;
using Experiments.Visualization.Imaging;
using Experiments.Worker.Decoding;
using Experiments.Worker.Interpretability;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments viz decode</c>: filter decoding by substitution (seed 003), from a stored snapshot.</summary>
public static partial class VizCommands
{
    // About this many screen pixels per tile side: a 28×28 decoded filter is drawn at ×2, a 14×14 one at ×4.
    private const int DecodeTilePixels = 56;
    private const int DecodeColumns = 25;
    private const int TopFigureDefaultFilters = 100;

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
        var sample = new Option<int>("--sample", "-n") { Description = "How many test images (the first ones) the reconstruction error and the top images use.", DefaultValueFactory = _ => 1000 };
        var top = new Option<int>("--top") { Description = "Top-activating images shown per filter.", DefaultValueFactory = _ => 4 };
        var threshold = new Option<double>("--threshold")
        {
            Description = "Thresholded views keep the sign of values reaching this fraction of the filter's largest magnitude.",
            DefaultValueFactory = _ => ThresholdedViews.DefaultFraction,
        };
        var filter = new Option<int[]>("--filter", "-f")
        {
            Description = $"Filters in the top-images figure (e.g. --filter 0 3). Default: all, or the first {TopFigureDefaultFilters}.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("decode",
            "Filter decoding by substitution (003, section 3): every filter of a layer decoded into image space (a grid), its thresholded views, " +
            "the top-activating test images per filter, and the reconstruction MSE of 003's Table 1 (decode.json holds the figures).")
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
            var decoded = LayerDecoder.Decode(stored.Model, layerIndex, unpooling);
            var images = DatasetCatalog.Load(row.Dataset, ExperimentsHome.Resolve()).Test.Take(parse.GetValue(sample));
            if (images.Count == 0) throw new ArgumentException($"the test split of {row.Dataset} is empty");
            var evaluation = LayerDecoder.Evaluate(stored.Model, decoded, images, parse.GetValue(top));

            var shown = parse.GetValue(filter) is { Length: > 0 } chosen ? chosen : Enumerable.Range(0, Math.Min(decoded.Filters.Count, TopFigureDefaultFilters)).ToArray();
            foreach (var k in shown)
                if (k < 0 || k >= decoded.Filters.Count)
                    throw new ArgumentException($"layer {layerIndex} has filters 0–{decoded.Filters.Count - 1}; there is no filter {k}");

            var directory = OutDirectory(parse, output, $"trial-{id}");
            Directory.CreateDirectory(directory);
            var stem = Path.Combine(directory, $"decode-layer-{layerIndex}-epoch-{stored.LoadedEpoch}-{unpooling.ToString().ToLowerInvariant()}");
            var thresholded = decoded.Thresholded(parse.GetValue(threshold));
            string[] paths = [stem + "-filters.png", stem + "-thresholded.png", stem + "-top.png", stem + ".json"];
            PngEncoder.Write(paths[0], FilterGrid(decoded.Filters, signed: false));
            PngEncoder.Write(paths[1], FilterGrid(thresholded, signed: true));
            PngEncoder.Write(paths[2], TopImagesFigure(decoded.Filters, thresholded, evaluation, images, shown));
            await File.WriteAllTextAsync(paths[3], JsonSerializer.Serialize(Report(id, stored.LoadedEpoch!.Value, decoded, evaluation, images), TrialFigures.Json), ct);

            var f = decoded.Filters;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"layer {layerIndex} of trial {id} at epoch {stored.LoadedEpoch}: {f.Count} filters decoded to {f.Channels}×{f.Height}×{f.Width} " +
                $"with {unpooling.ToString().ToLowerInvariant()} unpooling in {decoded.Elapsed.TotalSeconds:0.000} s"));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"reconstruction MSE (003, eq. 3) over {evaluation.Error.Images} test images: {evaluation.Error.Mean:0.0000} ± {evaluation.Error.StandardDeviation:0.0000}"));
            Console.Error.WriteLine($"top figure: one row per filter ({shown.Length} shown): decoded, thresholded, then the top {parse.GetValue(top)} images by network response, then by the decoded filter");
            PrintPaths(paths);
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

    private static int Zoom(int height, int width) => Math.Max(1, DecodeTilePixels / Math.Max(height, width));

    /// <summary>
    /// Every decoded filter, one tile per input channel (channels side by side), <see cref="DecodeColumns"/> filters a
    /// row. Each filter is rescaled to black–white over its own range; a signed (thresholded) bank maps −1, 0, +1 to
    /// black, grey, white.
    /// </summary>
    private static RasterImage FilterGrid(FilterBank bank, bool signed)
    {
        var zoom = Zoom(bank.Height, bank.Width);
        var columns = Math.Min(DecodeColumns, bank.Count);
        var rows = (bank.Count + columns - 1) / columns;
        var layout = new GridLayout(bank.Width * zoom, bank.Height * zoom, rows, columns * bank.Channels, Padding: 2,
            GroupSize: bank.Channels > 1 ? bank.Channels : 0);
        var tiles = Enumerable.Range(0, rows).Select(r => (IReadOnlyList<RasterImage?>)Enumerable.Range(0, columns * bank.Channels).Select(column =>
        {
            var k = r * columns + column / bank.Channels;
            return k < bank.Count ? FilterTile(bank, k, column % bank.Channels, signed, zoom) : null;
        }).ToArray()).ToArray();
        return ImageGrid.Compose(tiles, layout, Rgb.Grey(96));
    }

    private static RasterImage FilterTile(FilterBank bank, int filter, int channel, bool signed, int zoom)
    {
        var plane = bank.Filter(filter).Slice(channel * bank.Height * bank.Width, bank.Height * bank.Width);
        var picture = signed
            ? Raster.FromValues(plane, bank.Width, bank.Height, ColorMap.Grey, -1, 1)
            : Raster.FromValues(plane, bank.Width, bank.Height, ColorMap.Grey);
        return Raster.Upscale(picture, zoom);
    }

    /// <summary>A filter's channels averaged into one picture, for the top-images figure where a filter has one tile.</summary>
    private static RasterImage FilterSummaryTile(FilterBank bank, int filter, bool signed, int width, int height)
    {
        var plane = new float[bank.Height * bank.Width];
        var values = bank.Filter(filter);
        for (var c = 0; c < bank.Channels; c++)
            for (var i = 0; i < plane.Length; i++) plane[i] += values[c * plane.Length + i] / bank.Channels;
        var picture = signed
            ? Raster.FromValues(plane, bank.Width, bank.Height, ColorMap.Grey, -1, 1)
            : Raster.FromValues(plane, bank.Width, bank.Height, ColorMap.Grey);
        return Raster.Resize(picture, width, height);
    }

    /// <summary>A dataset image ([-1, 1] per channel) as grey or RGB.</summary>
    private static RasterImage ImageTile(LabelledImages images, int index, int zoom)
    {
        var (channels, height, width) = (images.SampleShape.Dims[0], images.SampleShape.Dims[1], images.SampleShape.Dims[2]);
        var start = index * images.SampleSize;
        var picture = new RasterImage(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var at = start + y * width + x;
                byte Level(int c) => (byte)Math.Clamp(Math.Round((images.Pixels[at + c * height * width] + 1) * 127.5), 0, 255);
                picture.SetPixel(x, y, channels >= 3 ? new Rgb(Level(0), Level(1), Level(2)) : Rgb.Grey(Level(0)));
            }
        return Raster.Upscale(picture, zoom);
    }

    /// <summary>
    /// One row per filter: the decoded filter and its thresholded view (003, Fig. 1 and 4), a gap, its top images by the
    /// network's response (Fig. 4 c, f), a gap, and its top images by correlation with the decoded filter (Fig. 4 d).
    /// </summary>
    private static RasterImage TopImagesFigure(FilterBank decoded, FilterBank thresholded, DecodingEvaluation evaluation, LabelledImages images, IReadOnlyList<int> filters)
    {
        var zoom = Zoom(images.SampleShape.Dims[1], images.SampleShape.Dims[2]);
        var (tileWidth, tileHeight) = (images.SampleShape.Dims[2] * zoom, images.SampleShape.Dims[1] * zoom);
        var keep = evaluation.TopByNetwork.Count == 0 ? 0 : evaluation.TopByNetwork.Max(t => t.Count);
        var columns = 2 + 1 + keep + 1 + keep;
        var layout = new GridLayout(tileWidth, tileHeight, filters.Count, columns, Padding: 2);
        var rows = filters.Select(k =>
        {
            var row = new RasterImage?[columns];
            row[0] = FilterSummaryTile(decoded, k, signed: false, tileWidth, tileHeight);
            row[1] = FilterSummaryTile(thresholded, k, signed: true, tileWidth, tileHeight);
            for (var i = 0; i < evaluation.TopByNetwork[k].Count; i++) row[3 + i] = ImageTile(images, evaluation.TopByNetwork[k][i].Image, zoom);
            for (var i = 0; i < evaluation.TopByDecodedFilter[k].Count; i++) row[4 + keep + i] = ImageTile(images, evaluation.TopByDecodedFilter[k][i].Image, zoom);
            return (IReadOnlyList<RasterImage?>)row;
        }).ToArray();
        return ImageGrid.Compose(rows, layout, Rgb.Grey(96));
    }

    private static object Report(long trial, int epoch, DecodedLayer decoded, DecodingEvaluation evaluation, LabelledImages images)
    {
        object Tops(IReadOnlyList<ImageActivation> top) =>
            top.Select(a => new { testImage = a.Image, label = images.Labels[a.Image], activation = a.Activation }).ToArray();
        var plan = decoded.Plan;
        return new
        {
            trial,
            epoch,
            layer = plan.Layer,
            unpooling = decoded.Unpooling.ToString().ToLowerInvariant(),
            decodedShape = new[] { decoded.Filters.Count, decoded.Filters.Channels, decoded.Filters.Height, decoded.Filters.Width },
            geometry = plan.Geometry,
            decodeSeconds = decoded.Elapsed.TotalSeconds,
            reconstructionMse = new { mean = evaluation.Error.Mean, standardDeviation = evaluation.Error.StandardDeviation, images = evaluation.Error.Images },
            filters = Enumerable.Range(0, decoded.Filters.Count).Select(k => new
            {
                filter = k,
                topByNetwork = Tops(evaluation.TopByNetwork[k]),
                topByDecodedFilter = Tops(evaluation.TopByDecodedFilter[k]),
            }).ToArray(),
        };
    }
}
