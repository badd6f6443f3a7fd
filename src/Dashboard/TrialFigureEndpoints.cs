using Experiments.Analysis;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Visualization;
using Experiments.Worker.Interpretability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Experiments.Dashboard;

/// <summary>
/// The trial page's figures (docs/dashboard.md, "The trial page's figures"): every epoch's classification metrics, the
/// confusion matrix and ROC, weight health, and the inside-the-network pictures (kernels, feature maps, saliency,
/// Grad-CAM, CAM, class probabilities), each drawn by the code the matching <c>viz</c> command runs
/// (<see cref="TrialPictures"/>). A request naming something that does not exist is a 400 whose message lists what does.
/// </summary>
internal static class TrialFigureEndpoints
{
    private static readonly string[] Splits = ["train", "val", "test"];
    private static readonly string[] ImageSplits = ["test", "train"];

    /// <summary>Maps the figures under <c>/api/trials/{id}/…</c>.</summary>
    public static RouteGroupBuilder MapTrialFigures(this RouteGroupBuilder api)
    {
        var trial = api.MapGroup("/trials/{id:long}");
        trial.MapGet("/kernels.png", async (long id, string? layer, int? epoch, bool? change, TrialPictures pictures, CancellationToken ct) =>
            string.IsNullOrWhiteSpace(layer) || epoch is null
                ? BadRequest("name a layer and an epoch: kernels.png?layer=0&epoch=1")
                : await Figure(() => pictures.KernelsAsync(id, layer, epoch.Value, change ?? false, ct)));
        trial.MapGet("/classification", async (long id, int? epoch, string? split, ResultsStore store, CancellationToken ct) =>
            await Checked(split ?? "test", Splits, "split", () => ClassificationAsync(store, id, epoch, split ?? "test", ct)));
        trial.MapGet("/classification/epochs", async (long id, string? split, ResultsStore store, CancellationToken ct) =>
            await Checked(split ?? "test", Splits, "split", async () => Results.Json((await store.GetArtifactsAsync(id, TrialFigures.ClassificationKind, ct))
                .Where(a => a.Split == (split ?? "test")).Select(a => a.Epoch).Order().ToList())));
        trial.MapGet("/confusion.svg", async (long id, int? epoch, string? split, TrialPictures pictures, CancellationToken ct) =>
            epoch is null ? BadRequest("name an epoch: confusion.svg?epoch=1&split=test")
            : await Checked(split ?? "test", Splits, "split", () => Figure(() => pictures.ConfusionAsync(id, epoch.Value, split ?? "test", ct))));
        trial.MapGet("/roc.svg", async (long id, int? epoch, string? split, TrialPictures pictures, CancellationToken ct) =>
            epoch is null ? BadRequest("name an epoch: roc.svg?epoch=1&split=test")
            : await Checked(split ?? "test", Splits, "split", () => Figure(() => pictures.RocAsync(id, epoch.Value, split ?? "test", ct))));
        trial.MapGet("/health", async (long id, TrialPictures pictures, CancellationToken ct) => await Answer(async () => Results.Json(Health(await pictures.HealthAsync(id, ct)))));
        trial.MapGet("/health.svg", async (long id, string? tensor, TrialPictures pictures, CancellationToken ct) =>
            string.IsNullOrWhiteSpace(tensor) ? BadRequest("name a weight tensor: health.svg?tensor=0.weight") : await Figure(() => pictures.HealthChartAsync(id, tensor, ct)));
        trial.MapGet("/network", async (long id, ResultsStore store, DashboardOptions options, CancellationToken ct) =>
            await Answer(async () => Results.Json(await NetworkAsync(store, id, options.DatasetHome, ct))));
        trial.MapGet("/activations.png", async (long id, int? layer, int? image, string? split, int? epoch, TrialPictures pictures, CancellationToken ct) =>
            layer is null || image is null || epoch is null ? BadRequest("name a layer, an image and an epoch: activations.png?layer=0&image=0&epoch=1")
            : await Checked(split ?? "test", ImageSplits, "split", () => Figure(() => pictures.ActivationsAsync(id, layer.Value, split ?? "test", image.Value, epoch.Value, ct))));
        trial.MapGet("/probabilities.svg", async (long id, int? image, string? split, int? epoch, TrialPictures pictures, CancellationToken ct) =>
            image is null || epoch is null ? BadRequest("name an image and an epoch: probabilities.svg?image=0&epoch=1")
            : await Checked(split ?? "test", ImageSplits, "split", () => Figure(() => pictures.ProbabilitiesAsync(id, split ?? "test", image.Value, epoch.Value, ct))));
        trial.MapGet("/misclassified", async (long id, string? split, int? epoch, TrialPictures pictures, CancellationToken ct) =>
            epoch is null ? BadRequest("name an epoch: misclassified?epoch=1&split=test")
            : await Checked(split ?? "test", ImageSplits, "split", () => Answer(async () => Results.Json(await pictures.MisclassifiedAsync(id, split ?? "test", epoch.Value, ct)))));
        trial.MapGet("/image.png", async (long id, string? split, int? index, TrialPictures pictures, CancellationToken ct) =>
            index is null ? BadRequest("name an image: image.png?index=0&split=test")
            : await Checked(split ?? "test", ImageSplits, "split", () => Figure(() => pictures.ImageAsync(id, split ?? "test", index.Value, ct))));
        foreach (var method in new[] { "saliency", "gradcam", "cam" })
            trial.MapGet($"/{method}.png", async (long id, int? layer, int? image, string? split, int? @class, int? epoch, TrialPictures pictures, CancellationToken ct) =>
                image is null || epoch is null ? BadRequest($"name an image and an epoch: {method}.png?image=0&epoch=1")
                : await Checked(split ?? "test", ImageSplits, "split", () => Figure(() => pictures.AttributionAsync(id, method, layer, split ?? "test", image.Value, @class, epoch.Value, ct))));
        return api;
    }

    /// <summary>One split's stored metrics at <paramref name="epoch"/> (default: the latest epoch that has them).</summary>
    private static async Task<IResult> ClassificationAsync(ResultsStore store, long trial, int? epoch, string split, CancellationToken ct)
    {
        if (await store.GetTrialAsync(trial, ct) is not { } row) return NotFound($"there is no trial {trial}");
        var artifacts = (await store.GetArtifactsAsync(trial, TrialFigures.ClassificationKind, ct)).Where(a => a.Split == split).OrderBy(a => a.Epoch).ToList();
        if (artifacts.Count == 0) return BadRequest($"trial {trial} has no stored classification metrics for the {split} split yet");
        var artifact = epoch is null ? artifacts[^1] : artifacts.FirstOrDefault(a => a.Epoch == epoch);
        if (artifact is null)
            return BadRequest($"trial {trial} has no {split} metrics at epoch {epoch}; it has them at epochs {string.Join(", ", artifacts.Select(a => a.Epoch))}");
        var evaluation = SplitEvaluation.FromJson(artifact.Json);
        var c = evaluation.Classification;
        var names = ProbabilityFigure.ClassNamesOf(row.Dataset, c.Classes);
        var auc = evaluation.Roc.Curves.ToDictionary(r => r.Class, r => r.Auc);
        return Results.Json(new ClassificationView(trial, split, artifact.Epoch, [.. artifacts.Select(a => a.Epoch)], names, c.Count, c.Accuracy, c.ConfusionMatrix,
            [.. c.PerClass.Select(m => new ClassScores(m.Class, names[m.Class], m.Precision, m.Recall, m.F1, m.Support, Defined(auc.GetValueOrDefault(m.Class, double.NaN))))],
            c.MacroPrecision, c.MacroRecall, c.MacroF1, Defined(evaluation.Roc.MacroAuc)));
    }

    private static double? Defined(double value) => double.IsNaN(value) ? null : value;

    private static HealthView Health(Visualization.Snapshots.HealthReport report) => new(report.Epochs, report.DeadFraction,
        [.. report.Layers.Select(l => new HealthLayer(l.Tensor, l.Kind, l.Filters,
            report.DeadFilters.Count(d => d.Tensor == l.Tensor && d.Epochs.Contains(report.Epochs[^1])),
            report.NonFinite.Count(n => n.Tensor == l.Tensor)))],
        [.. report.DeadFilters.Select(d => d.ToString()), .. report.NonFinite.Select(n => n.ToString())]);

    /// <summary>The choosers of the inside-the-network views, from the trial's rebuilt model (no weights loaded) and its dataset.</summary>
    private static async Task<NetworkView> NetworkAsync(ResultsStore store, long trial, string home, CancellationToken ct)
    {
        using var model = await StoredModel.OpenAsync(store, trial, ct);
        var plan = model.Model.Plan;
        var maps = ActivationHistory.NamedLayers(plan).Select(i => plan.Layers[i]).Select(l => new MapLayer(l.Index, l.Description, [.. l.Output.Dims])).ToList();
        (int? GradCam, string? Note) gradCam;
        try
        {
            gradCam = (Attribution.GradCamLayer(plan), null);
        }
        catch (ArgumentException e)
        {
            gradCam = (null, e.Message);
        }
        var row = (await store.GetTrialAsync(trial, ct))!;
        var (train, test) = DatasetCatalog.LoadTrainAndTest(row.Dataset, home);
        return new NetworkView(maps, gradCam.GradCam, gradCam.Note, CamNote(plan), test.ClassNames, test.Count, train.Count);
    }

    /// <summary>Why CAM does not apply to <paramref name="plan"/> (<see cref="Attribution.CamLayers"/>'s message), or null when it does.</summary>
    private static string? CamNote(Architectures.ArchitecturePlan plan)
    {
        try
        {
            Attribution.CamLayers(plan);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    internal static async Task<IResult> Figure(Func<Task<FigureFile>> draw) =>
        await Answer(async () =>
        {
            var figure = await draw();
            return Results.Bytes(figure.Content, figure.MediaType);
        });

    internal static async Task<IResult> Answer(Func<Task<IResult>> answer)
    {
        try
        {
            return await answer();
        }
        catch (ArgumentException e)
        {
            return BadRequest(e.Message);
        }
    }

    private static async Task<IResult> Checked(string value, string[] allowed, string name, Func<Task<IResult>> answer) =>
        allowed.Contains(value) ? await answer() : BadRequest($"{name} must be one of {string.Join(", ", allowed)}, not '{value}'");

    private static IResult NotFound(string message) => Results.Json(new { error = message }, statusCode: StatusCodes.Status404NotFound);

    internal static IResult BadRequest(string message) => Results.Json(new { error = message }, statusCode: StatusCodes.Status400BadRequest);
}
