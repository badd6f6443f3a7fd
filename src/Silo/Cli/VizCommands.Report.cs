using System.CommandLine;
using System.Globalization;
using Experiments.Datasets;
using Experiments.Visualization;
using Experiments.Visualization.Report;

namespace Experiments.Silo.Cli;

/// <summary>
/// <c>viz probabilities</c> (seed 002, Fig. 5: the class probabilities of one image) and <c>viz report</c>: one
/// self-contained HTML page gathering every other viz figure of a trial, or of a sweep's best trials.
/// </summary>
public static partial class VizCommands
{
    // The report shows attribution for this many test images by default, and full sections for this many of a sweep's best trials.
    private const int ReportImages = 3;
    private const int ReportTopTrials = 3;

    static partial void AddReportCommands(Command viz)
    {
        viz.Subcommands.Add(Probabilities());
        viz.Subcommands.Add(Report());
    }

    private static Command Probabilities()
    {
        var (db, output, o) = (StoreAccess.DbOption(), OutOption(), AttributionOptions());
        var log = new Option<bool>("--log") { Description = "Draw the probabilities on a log axis, a tick per decade down from 1, so the small ones a 0–1 axis flattens to nothing compare." };
        var command = new Command("probabilities",
            "The softmax class probabilities of one image (002, Fig. 5) as a bar chart, the true class in red and the predicted class in orange, beside the image itself as a PNG.")
            { o.Trial, o.Image, o.Split, o.Epoch, log, db, output };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            using var model = await OpenShownEpochAsync(store, parse.GetValue(o.Trial), parse.GetValue(o.Epoch), ct);
            var image = await PickImageAsync(store, model, parse.GetValue(o.Split)!, parse.GetValue(o.Image), ct);
            var dataset = (await store.GetTrialAsync(model.TrialId, ct))!.Dataset;
            var files = ProbabilityFigure.Write(OutDirectory(parse, output, $"trial-{model.TrialId}"), model, image, dataset, out var probabilities, parse.GetValue(log));
            var predicted = ProbabilityFigure.ArgMax(probabilities);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trial {model.TrialId}, epoch {model.LoadedEpoch}, {image}: " +
                $"predicted class {image.Class(predicted)} with p = {probabilities[predicted]:0.0000}; p(true class) = {probabilities[image.Label]:0.0000}"));
            PrintPaths([files.Chart, files.Image]);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Report()
    {
        var (db, output) = (StoreAccess.DbOption(), OutOption("trial-<id>/ or sweep-<id>/"));
        var trial = new Option<long?>("--trial", "-t") { Description = $"The trial to report on (see `{ExperimentsCommand.Name} results list`)." };
        var sweep = new Option<long?>("--sweep") { Description = $"The sweep to report on (see `{ExperimentsCommand.Name} sweep list`): leaderboard, overlaid curves, and full sections for its best trials." };
        var images = new Option<int>("--images", "-n") { Description = "How many test images (the first ones) get probabilities, saliency and Grad-CAM; the activations are of test image 0 only.", DefaultValueFactory = _ => ReportImages };
        var top = new Option<int>("--top") { Description = "With --sweep: how many of the best trials get a full section.", DefaultValueFactory = _ => ReportTopTrials };
        var epoch = EpochOption();
        epoch.Description = "With --trial: the epoch of the confusion matrix, ROC, images and decoded filters (0 = before training). " +
                            "Default: the trial's best, by its sweep's metric, or by validation accuracy outside a sweep. A sweep's trials are each shown at their best.";
        var command = new Command("report",
            "One self-contained HTML page (figures embedded, no external resources): settings, per-epoch table, curves, confusion, ROC, kernels over the epochs, " +
            "weight health, probabilities, activations, saliency, Grad-CAM and decoded filters of a trial; or a sweep's leaderboard, overlaid curves and its best trials.")
            { trial, sweep, epoch, images, top, db, output };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var (trialId, sweepId) = (parse.GetValue(trial), parse.GetValue(sweep));
            if (trialId is null == sweepId is null) throw new ArgumentException("give either --trial T or --sweep S");
            if (parse.GetValue(images) < 0) throw new ArgumentException("--images must be 0 or more");
            if (parse.GetValue(top) < 0) throw new ArgumentException("--top must be 0 or more");
            if (sweepId is not null && parse.GetValue(epoch) is not null)
                throw new ArgumentException("--epoch goes with --trial: a sweep's report shows each trial at its own best epoch");
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            // Not fromWeights: an epoch without a weight snapshot still has its metrics, confusion and ROC; the report draws
            // the weight-based parts from the stored epoch nearest it and says so on the page.
            var builder = new ReportBuilder(store, parse.GetValue(images), subject => OutDirectory(parse, output, subject),
                (id, requested, token) => ShowingEpochAsync(store, id, requested, token));
            var path = trialId is { } t
                ? await builder.TrialReportAsync(t, parse.GetValue(epoch), ct)
                : await builder.SweepReportAsync(sweepId!.Value, parse.GetValue(top), ct);
            Console.Error.WriteLine($"report with figures embedded: open it in any browser");
            PrintPaths([path]);
            return CommandErrors.Ok;
        }));
        return command;
    }
}
