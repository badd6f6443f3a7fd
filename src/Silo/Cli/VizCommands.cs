using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Visualization;
using Experiments.Visualization.Data;
using Experiments.Visualization.Snapshots;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;
using Spectre.Console;

namespace Experiments.Silo.Cli;

/// <summary>
/// <c>experiments viz …</c>: pictures (PNG) and charts (SVG) drawn from what the results store holds. Every command
/// writes into <c>--out</c> (default <c>&lt;EXPERIMENTS_HOME&gt;/viz/trial-&lt;id&gt;/</c>) and prints each file's path.
/// Other parts add their commands through the partial hooks below (interpretability, filter decoding).
/// </summary>
public static partial class VizCommands
{
    public static Command Create()
    {
        var viz = new Command("viz",
            "Draw figures from recorded trials (docs/visualization.md): curves, kernels over epochs, confusion, ROC, weight health, " +
            "dataset covariance, class probabilities, saliency, Grad-CAM, CAM, feature maps, decoded filters, and a one-page HTML report.");
        viz.Subcommands.Add(Curves());
        viz.Subcommands.Add(Kernels());
        viz.Subcommands.Add(Confusion());
        viz.Subcommands.Add(Roc());
        viz.Subcommands.Add(Health());
        viz.Subcommands.Add(Covariance());
        AddInterpretabilityCommands(viz);
        AddDecodeCommands(viz);
        AddReportCommands(viz);
        return viz;
    }

    /// <summary>Saliency, Grad-CAM, activations, probabilities… (implemented in another file).</summary>
    static partial void AddInterpretabilityCommands(Command viz);

    /// <summary>Filter decoding by substitution (implemented in another file).</summary>
    static partial void AddDecodeCommands(Command viz);

    /// <summary>Class probabilities and the self-contained HTML report (implemented in another file).</summary>
    static partial void AddReportCommands(Command viz);

    /// <summary>The <c>--out</c> option every viz command takes.</summary>
    /// <param name="defaultFolder">The folder under &lt;home&gt;/viz/ this command writes into without --out, as its help names it.</param>
    internal static Option<string?> OutOption(string defaultFolder = "trial-<id>/") => new("--out", "-o")
    {
        Description = $"Folder to write into (created if needed). Default: <EXPERIMENTS_HOME>/viz/{defaultFolder}.",
    };

    // A GIF stores frame delays in centiseconds, and browsers show any delay under 2 (20 ms) for 100 ms instead: a
    // shorter --frame-ms would play five times slower than asked, so it is refused.
    private const int MinFrameMilliseconds = 20;

    /// <summary>The <c>--frame-ms</c> option of the animated figures.</summary>
    internal static Option<int> FrameMillisecondsOption() => new("--frame-ms")
    {
        Description = $"Animation frame duration in milliseconds, at least {MinFrameMilliseconds} (GIF counts in steps of 10; browsers slow shorter frames to 100 ms).",
        DefaultValueFactory = _ => 400,
    };

    /// <exception cref="ArgumentException">--frame-ms is under <see cref="MinFrameMilliseconds"/>.</exception>
    internal static void CheckFrameMilliseconds(int milliseconds)
    {
        if (milliseconds < MinFrameMilliseconds)
            throw new ArgumentException($"--frame-ms must be at least {MinFrameMilliseconds}: browsers show a GIF frame shorter than {MinFrameMilliseconds} ms for 100 ms, so {milliseconds} ms would not play as asked");
    }

    /// <summary>The folder a command writes into, created if needed: --out, else &lt;home&gt;/viz/&lt;subject&gt;.</summary>
    internal static string OutDirectory(ParseResult parse, Option<string?> option, string subject) =>
        OutputPaths.Folder(parse.GetValue(option) is { Length: > 0 } given ? given : Path.Combine(ExperimentsHome.Resolve(), "viz", subject));

    internal static Option<long> TrialOption() => new("--trial", "-t") { Description = $"The trial's id (see `{ExperimentsCommand.Name} results list`).", Required = true };

    /// <summary>The <c>--epoch</c> option of every figure of one epoch.</summary>
    internal static Option<int?> EpochOption() => new("--epoch", "-e")
    {
        Description = "The epoch (0 = before training). Default: the trial's best, by its sweep's metric, or by validation accuracy outside a sweep.",
    };

    /// <summary>
    /// The epoch a one-epoch figure shows (<see cref="FigureEpoch"/>), said on standard error; with
    /// <paramref name="fromWeights"/>, one that has a weight snapshot.
    /// </summary>
    internal static async Task<ShownEpoch> ShowingEpochAsync(ResultsStore store, long trial, int? requested, CancellationToken ct, bool fromWeights = false)
    {
        var shown = fromWeights ? await FigureEpoch.ResolveWeightsAsync(store, trial, requested, ct) : await FigureEpoch.ResolveAsync(store, trial, requested, ct);
        Console.Error.WriteLine($"trial {trial}: {shown}" + (requested is null ? "; --epoch picks another" : ""));
        return shown;
    }

    private static Command Curves()
    {
        var (db, output) = (StoreAccess.DbOption(), OutOption("trial-<id>/ for one trial, trials-<a>-<b>…/ for several"));
        var trials = new Argument<long[]>("trials") { Description = "One or more trial ids, overlaid.", Arity = ArgumentArity.OneOrMore }
            .Needing("at least one trial id", "3 4", values: "trial ids");
        // A repeated id would draw the same trial twice, under one legend name twice: refused as the parser's error.
        trials.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long[]>() is { } ids && ids.GroupBy(id => id).FirstOrDefault(g => g.Count() > 1) is { } repeated)
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"trial {repeated.Key} is given twice"));
        });
        var epoch0 = new Option<bool>("--include-epoch-0")
        {
            Description = "Also draw epoch 0, the untrained model (its loss of about 2.3 and accuracy of about 10% otherwise set the axes).",
        };
        var command = new Command("curves",
            "Loss and accuracy per trained epoch, train (solid) against validation (dashed), several trials overlaid and named by the settings that differ: " +
            "loss.svg, accuracy.svg, and their numbers as loss.json, accuracy.json.")
            { trials, epoch0, db, output };
        command.SetAction((parse, ct) => WithFigures(parse, db, ct, async figures =>
        {
            var ids = parse.GetValue(trials)!;
            var subject = ids.Length == 1 ? $"trial-{ids[0]}" : "trials-" + string.Join('-', ids);
            PrintPaths(await figures.CurvesAsync(ids, OutDirectory(parse, output, subject), parse.GetValue(epoch0), ct));
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Kernels()
    {
        var (db, output, trial) = (StoreAccess.DbOption(), OutOption(), TrialOption());
        var layer = new Option<string>("--layer", "-l") { Description = "The conv layer: its index in the layer list (e.g. 0) or its weight tensor's name (0.weight).", Required = true };
        var filter = new Option<int[]>("--filter", "-f") { Description = "Only these filters (repeatable, or comma-free list: --filter 0 3).", AllowMultipleArgumentsPerToken = true };
        var top = new Option<int>("--top")
        {
            Description = "A layer with more filters shows this many: those with the largest L2 norm at the last shown epoch (with --change: the largest change), largest first.",
            DefaultValueFactory = _ => KernelSelection.DefaultCount,
        };
        var page = new Option<int?>("--page") { Description = "Instead of the top filters, page P of --top filters each in index order (page 0 is filters 0 to --top − 1)." };
        var epochs = new Option<string>("--epochs", "-e", "--epoch") { Description = "all (every epoch with a weight snapshot), last, first, or a list such as 0,5,10-12.", DefaultValueFactory = _ => "all" };
        var scale = new Option<string>("--scale") { Description = "Rescale each kernel to [0, 1] per filter (000 Fig. 9), per channel, or over the whole layer.", DefaultValueFactory = _ => "filter" };
        scale.AcceptOnlyFromAmong("filter", "channel", "layer");
        var change = new Option<bool>("--change")
        {
            Description = "Draw each epoch's kernels minus the first recorded epoch's (epoch 0), on one symmetric blue–white–red scale for the whole picture.",
        };
        var zoom = new Option<int?>("--zoom")
        {
            Description = "Screen pixels per kernel pixel (nearest neighbour). Default: the largest whole zoom, up to the one that makes a kernel's longer side " +
                          $"about {KernelPictures.TargetTileSide} pixels, whose whole grid stays within {KernelPictures.MaxGridPixels / 1_000_000} million pixels " +
                          "(many filters or epochs get less); the zoom used is printed.",
        };
        var delay = FrameMillisecondsOption();
        var command = new Command("kernels",
            "A layer's kernels over the epochs, shown per input channel: a labelled grid (a panel per epoch, a column per filter, a colour bar) " +
            "and an animated GIF (a frame per epoch). Layers with more than --top filters show the top ones by norm, or a --page of them.")
            { trial, layer, filter, top, page, epochs, scale, change, zoom, delay, db, output };
        command.SetAction((parse, ct) => WithFigures(parse, db, ct, async figures =>
        {
            var id = parse.GetValue(trial);
            if (parse.GetValue(zoom) is < 1) throw new ArgumentException("--zoom must be at least 1");
            CheckFrameMilliseconds(parse.GetValue(delay));
            if (parse.GetValue(top) < 1) throw new ArgumentException("--top must be at least 1");
            if (parse.GetValue(page) is < 0) throw new ArgumentException("--page must be 0 or more");
            // --filter names the filters itself; a page of them would be ignored silently.
            if (parse.GetValue(filter) is { Length: > 0 } && parse.GetValue(page) is not null)
                throw new ArgumentException("--page goes without --filter: --filter names the filters to show, --page picks them by index when none are named");
            if (parse.GetValue(filter) is { Length: > 0 } && parse.GetResult(top) is { Implicit: false })
                throw new ArgumentException("--top goes without --filter: --filter names the filters to show, --top picks the largest when none are named");
            // --change draws every kernel on its own symmetric scale around 0; a --scale would change nothing.
            if (parse.GetValue(change) && parse.GetResult(scale) is { Implicit: false })
                throw new ArgumentException("--scale goes without --change: --change draws every kernel on one symmetric scale around 0 for the whole picture");
            var selection = new KernelSelection(parse.GetValue(filter) is { Length: > 0 } chosen ? chosen : null, parse.GetValue(top), parse.GetValue(page));
            var scaling = Enum.Parse<KernelScaling>(parse.GetValue(scale)!, ignoreCase: true);
            var files = await figures.KernelsAsync(id, parse.GetValue(layer)!, selection, new EpochSelection(parse.GetValue(epochs)!),
                OutDirectory(parse, output, $"trial-{id}"), scaling, parse.GetValue(zoom), TimeSpan.FromMilliseconds(parse.GetValue(delay)), parse.GetValue(change), ct);
            Console.Error.WriteLine($"{files.Layer}: {files.Selection}; epochs {RangeText.List(files.Epochs)}; {files.InputChannels} input channel(s), {files.KernelHeight}×{files.KernelWidth} kernels at ×{files.Upscale}");
            if (files.WithoutSnapshot.Count > 0)
                Console.Error.WriteLine(files.WithoutSnapshot.Count == 1
                    ? $"epoch {files.WithoutSnapshot[0]} has no weight snapshot (a snapshot cadence or a prune), so it has no panel or frame"
                    : $"epochs {RangeText.List(files.WithoutSnapshot)} have no weight snapshot (a snapshot cadence or a prune), so they have no panel or frame");
            PrintPaths([files.Grid, files.Animation]);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Confusion() => SplitFigure("confusion", "The confusion matrix of one epoch and split (true class down, predicted across), from the recorded metrics.",
        (figures, trial, epoch, split, directory, ct) => figures.ConfusionAsync(trial, epoch, split, directory, ct));

    private static Command Roc() => SplitFigure("roc", "One-vs-rest ROC curves of every class, with each class's AUC in the legend, from the recorded metrics.",
        (figures, trial, epoch, split, directory, ct) => figures.RocAsync(trial, epoch, split, directory, ct));

    private static Command SplitFigure(string name, string description, Func<TrialFigures, long, ShownEpoch, string, string, CancellationToken, Task<string>> draw)
    {
        var (db, output, trial, epoch) = (StoreAccess.DbOption(), OutOption(), TrialOption(), EpochOption());
        var split = new Option<string>("--split", "-s") { Description = "train, val or test.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("train", "val", "test");
        var command = new Command(name, description) { trial, epoch, split, db, output };
        command.SetAction((parse, ct) => WithFigures(parse, db, ct, async figures =>
        {
            var id = parse.GetValue(trial);
            var shown = await ShowingEpochAsync(figures.Store, id, parse.GetValue(epoch), ct);
            PrintPaths([await draw(figures, id, shown, parse.GetValue(split)!, OutDirectory(parse, output, $"trial-{id}"), ct)]);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Health()
    {
        var (db, output, trial) = (StoreAccess.DbOption(), OutOption(), TrialOption());
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (norms per filter and epoch, dead filters, non-finite weights) instead of a summary." };
        var fraction = new Option<double>("--dead-fraction")
        {
            Description = "A filter is dead when its L2 norm falls below this fraction of its layer's median norm at the first epoch.",
            DefaultValueFactory = _ => WeightHealth.DefaultDeadFraction,
        };
        var probes = new Option<int>("--activation-images")
        {
            Description = "Test images passed through every layer at every epoch to find NaN or infinite activations (0 = weights only).",
            DefaultValueFactory = _ => 8,
        };
        var command = new Command("health",
            "Weight and activation health over the epochs: each filter's L2 norm (one chart per layer; quantile bands above 12 filters), dead filters whose norm fell towards 0, " +
            "NaN or infinite weights, and the first layer whose activations hold NaN or infinity. Exit code 0 either way; see the report.")
            { trial, json, fraction, probes, db, output };
        command.SetAction((parse, ct) => WithFigures(parse, db, ct, async figures =>
        {
            var id = parse.GetValue(trial);
            if (parse.GetValue(fraction) is <= 0 or >= 1 or double.NaN) throw new ArgumentException("--dead-fraction must lie between 0 and 1");
            var files = await figures.HealthAsync(id, OutDirectory(parse, output, $"trial-{id}"), parse.GetValue(fraction), ct);
            var report = files.Report;
            var (activations, notChecked) = await ActivationProblemsAsync(figures.Store, id, parse.GetValue(probes), ct);
            var healthy = report.Healthy && activations.Count == 0;
            // health.json is, byte for byte, what --json prints: one document, serialised once.
            var document = JsonSerializer.Serialize(new
            {
                trial = id, healthy, report, activations, activationsNotChecked = notChecked, files = files.Charts.Prepend(files.Json),
            }, TrialFigures.Json) + "\n";
            await File.WriteAllTextAsync(files.Json, document, ct);
            if (parse.GetValue(json))
            {
                Console.Out.Write(document);
                return CommandErrors.Ok;
            }
            AnsiConsole.MarkupLine(Markup.Escape($"trial {id}: {report.Layers.Count} weight layer(s) over epochs {RangeText.List(report.Epochs)}: ") +
                                   (healthy ? "[green]healthy[/]" : "[red]problems found[/]"));
            foreach (var bad in activations)
                AnsiConsole.MarkupLine(Markup.Escape($"  non-finite activations: epoch {bad.Epoch}, from layer {bad.Layer} ({bad.Label}) on: {bad.NaNs} NaN, {bad.Infinities} infinite over {bad.Images} test image(s)"));
            if (notChecked is not null) AnsiConsole.MarkupLine(Markup.Escape($"  activations not checked: {notChecked}"));
            foreach (var dead in report.DeadFilters) AnsiConsole.MarkupLine(Markup.Escape($"  {dead}"));
            foreach (var bad in report.NonFinite) AnsiConsole.MarkupLine(Markup.Escape($"  {bad}"));
            PrintPaths([files.Json, .. files.Charts]);
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>The first non-finite layer per epoch over a few test images, or why it could not be checked.</summary>
    private static async Task<(IReadOnlyList<NonFiniteActivations> Problems, string? NotChecked)> ActivationProblemsAsync(
        ResultsStore store, long trialId, int images, CancellationToken ct)
    {
        if (images <= 0) return ([], "--activation-images is 0");
        StoredModel stored;
        try
        {
            stored = await StoredModel.OpenAsync(store, trialId, ct);
        }
        catch (Exception e) when (e is ArgumentException or SpecException or ArchitectureException or InvalidDataException)
        {
            return ([], "the model cannot be rebuilt: " + e.Message);
        }
        using (stored)
        {
            var row = (await store.GetTrialAsync(trialId, ct))!;
            if (!DatasetCatalog.TryGet(row.Dataset, out _) || !DatasetCatalog.Status(row.Dataset, ExperimentsHome.Resolve()).Fetched)
                return ([], $"dataset {row.Dataset} is not available here");
            var (_, test) = DatasetCatalog.LoadTrainAndTest(row.Dataset, ExperimentsHome.Resolve());
            var probes = Enumerable.Range(0, Math.Min(images, test.Count))
                .Select(i => new Tensor([.. test.SampleShape.Dims], test.Sample(i).ToArray())).ToList();
            return (await ActivationHealth.ExamineAsync(stored, probes, ct), null);
        }
    }

    private static Command Covariance()
    {
        var output = OutOption("dataset-<name>/");
        var dataset = new Option<string>("--dataset", "-d") { Description = $"mnist, fashion-mnist, cifar10 or synthetic (fetched first with `{ExperimentsCommand.Name} data fetch`).", Required = true };
        var sample = new Option<int>("--sample", "-n") { Description = "How many training images to sample (seeded).", DefaultValueFactory = _ => 1000 };
        var channels = new Option<string>("--channels") { Description = "grey: one variable per pixel position (channel mean); all: every channel of every pixel.", DefaultValueFactory = _ => "grey" };
        channels.AcceptOnlyFromAmong("grey", "all");
        var seed = new Option<int>("--seed") { Description = "Seed of the sample.", DefaultValueFactory = _ => 0 };
        var command = new Command("covariance", "The pixel covariance matrix of a sample of a dataset's training images (000, Fig. 6) as a PNG: positive red, negative blue, zero white, with a colour bar; its numbers beside it as JSON.")
            { dataset, sample, channels, seed, output };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            if (parse.GetValue(sample) < 2) throw new ArgumentException("--sample must be at least 2");
            var name = DatasetCatalog.Get(parse.GetValue(dataset)!).Name;
            var mode = parse.GetValue(channels) == "all" ? CovarianceChannels.All : CovarianceChannels.Grey;
            var (path, json, matrix) = TrialFigures.Covariance(name, ExperimentsHome.Resolve(), parse.GetValue(sample), mode, OutDirectory(parse, output, $"dataset-{name}"), parse.GetValue(seed));
            Console.Error.WriteLine($"{matrix.Dimension}×{matrix.Dimension} covariance of {matrix.Samples} images");
            PrintPaths([path, json]);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Task<int> WithFigures(ParseResult parse, Option<string?> db, CancellationToken ct, Func<TrialFigures, Task<int>> action) =>
        CommandErrors.RunAsync(async () =>
        {
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            return await action(new TrialFigures(store));
        });

    /// <summary>One path a line on standard output, so scripts can read them.</summary>
    internal static void PrintPaths(IEnumerable<string> paths)
    {
        foreach (var path in paths) Console.WriteLine(path);
    }

}
