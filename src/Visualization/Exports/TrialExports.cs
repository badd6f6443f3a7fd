using System.Globalization;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using Experiments.Datasets;
using Experiments.Store;

namespace Experiments.Visualization.Exports;

/// <summary>
/// How every CSV the tool writes is spelled: RFC 4180 quoting (a field holding a comma, a double quote or a line
/// break goes in double quotes, its quotes doubled), invariant-culture numbers, and lines ending in <c>\n</c>, as
/// <c>results export</c> has always written them.
/// </summary>
public static class CsvText
{
    public static readonly CsvConfiguration Configuration = new(CultureInfo.InvariantCulture) { NewLine = "\n" };

    /// <summary>A header row, then the rows; a null field is written empty.</summary>
    public static string Write(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new CsvWriter(text, Configuration))
        {
            WriteRecord(csv, header);
            foreach (var row in rows) WriteRecord(csv, row);
        }
        return text.ToString();
    }

    internal static void WriteRecord(CsvWriter csv, IEnumerable<string?> fields)
    {
        foreach (var field in fields) csv.WriteField(field ?? "");
        csv.NextRecord();
    }
}

/// <summary>
/// Every epoch's metrics of chosen trials as CSV, one row per trial and epoch (<c>results export --format csv</c> and
/// the dashboard's trial page): the epoch's figures (losses in nats, accuracies as fractions, seconds), the trial's
/// settings (data, hyperparameters, seed, code version, host) and the validation and test macro precision, recall and F1.
/// </summary>
public static class EpochMetricsCsv
{
    /// <summary>
    /// The columns: each epoch's figures first (the original thirteen, in their original order), then the trial's
    /// settings, then the epoch's macro averages.
    /// </summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "trial", "architecture", "dataset", "epoch", "learning_rate", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
        "test_loss", "test_accuracy", "seconds", "images_per_second",
        "input", "limit", "val_split", "train_images", "val_images", "test_images",
        "optimizer", "lr", "weight_decay", "lr_decay", "momentum", "batch_size", "epochs", "seed", "code_version", "host",
        "val_macro_precision", "val_macro_recall", "val_macro_f1", "test_macro_precision", "test_macro_recall", "test_macro_f1",
    ];

    /// <summary>Writes the header and every epoch of <paramref name="trials"/>, in that order, to <paramref name="output"/>.</summary>
    /// <exception cref="VizInputException">One of the trials does not exist.</exception>
    public static async Task WriteAsync(ResultsStore store, IReadOnlyList<long> trials, TextWriter output, CancellationToken ct = default)
    {
        await using var csv = new CsvWriter(output, CsvText.Configuration, leaveOpen: true);
        CsvText.WriteRecord(csv, Columns);
        foreach (var id in trials)
        {
            var row = await store.GetTrialAsync(id, ct) ?? throw new VizInputException($"there is no trial {id}; see `{ExperimentsCommand.Name} results list`");
            var settings = Settings(row);
            var macro = (await store.GetArtifactsAsync(id, Worker.Recording.TrialRecorder.ClassificationKind, ct))
                .ToDictionary(a => (a.Epoch, a.Split), a => Analysis.SplitEvaluation.FromJson(a.Json).Classification);
            string Macro(int epoch, string split, Func<Analysis.ClassificationMetrics, double> figure) =>
                macro.TryGetValue((epoch, split), out var c) ? Num(figure(c)) : "";
            foreach (var e in await store.GetEpochsAsync(id, ct))
                CsvText.WriteRecord(csv,
                [
                    Num(id), row.Architecture, row.Dataset, Num(e.Epoch), Num(e.LearningRate), Num(e.Train?.Loss), Num(e.Train?.Accuracy),
                    Num(e.Validation?.Loss), Num(e.Validation?.Accuracy), Num(e.Test?.Loss), Num(e.Test?.Accuracy), Num(e.Seconds), Num(e.ImagesPerSecond),
                    .. settings,
                    Macro(e.Epoch, "val", c => c.MacroPrecision), Macro(e.Epoch, "val", c => c.MacroRecall), Macro(e.Epoch, "val", c => c.MacroF1),
                    Macro(e.Epoch, "test", c => c.MacroPrecision), Macro(e.Epoch, "test", c => c.MacroRecall), Macro(e.Epoch, "test", c => c.MacroF1),
                ]);
        }
        await csv.FlushAsync();
    }

    /// <summary>The settings columns of one trial, as machine-readable values (numbers in full, input as CxHxW, empty when not recorded).</summary>
    private static string[] Settings(TrialRow row)
    {
        using var document = JsonDocument.Parse(row.HyperparametersJson);
        string Stored(string key)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty(key, out var value)) return "";
            return value.ValueKind switch
            {
                JsonValueKind.Number => Num(value.GetDouble()),
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Array => string.Join('x', value.EnumerateArray().Select(d => d.GetRawText())),
                _ => "",
            };
        }
        var context = row.Context;
        return
        [
            Stored("input"), Stored("limit"), Stored("val_split"),
            context is null ? "" : Num(context.TrainImages), context is null ? "" : Num(context.ValidationImages), context is null ? "" : Num(context.TestImages),
            Stored("optimizer"), Stored("lr"), Stored("weight_decay"), Stored("lr_decay"), Stored("momentum"), Stored("batch_size"), Stored("epochs"),
            Num(row.Seed), context?.CodeVersion ?? "", context?.Host ?? "",
        ];
    }

    // Shortest round-trip text: a value read back is the double that was stored.
    private static string Num(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One epoch's model weights, ready to write as safetensors: which epoch and why, the tensors and the metadata.</summary>
/// <param name="Shown">The epoch exported, and why that one (as asked, or the best).</param>
/// <param name="Tensors">The model's tensors under their PyTorch state-dict names (no optimizer state).</param>
/// <param name="Metadata">The file's <c>__metadata__</c>: format, trial, epoch, architecture and its spec, dataset, hyperparameters, seed, test accuracy.</param>
public sealed record TrialWeights(ShownEpoch Shown, IReadOnlyList<TensorSnapshot> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Writes the safetensors file (<see cref="Store.Export.Safetensors"/>) to <paramref name="output"/>.</summary>
    public void WriteTo(Stream output) => Store.Export.Safetensors.Write(output, Tensors, Metadata);
}

/// <summary>
/// One epoch's weights of a trial as <c>results export-weights</c> and the dashboard's trial page export them: the
/// model's tensors of the stored snapshot, loadable into PyTorch with <c>load_state_dict(tensors, strict=True)</c>.
/// </summary>
public static class WeightsExport
{
    /// <summary><paramref name="epoch"/> when given (it must have a snapshot), else the best epoch (<see cref="FigureEpoch.ResolveWeightsAsync"/>).</summary>
    /// <exception cref="VizInputException">No such trial, no snapshot at all, or none at the epoch asked for (the message names the stored ones).</exception>
    public static async Task<TrialWeights> ReadAsync(ResultsStore store, long trial, int? epoch, CancellationToken ct = default)
    {
        var row = await store.GetTrialAsync(trial, ct) ?? throw new VizInputException($"there is no trial {trial}; see `{ExperimentsCommand.Name} results list`");
        // The model a user exports is the one the leaderboard and the figures name: the best epoch, unless asked.
        if ((await store.SnapshotEpochsAsync(trial, ct)).Count == 0) throw new VizInputException($"trial {trial} has no epoch with a weight snapshot yet");
        var shown = await FigureEpoch.ResolveWeightsAsync(store, trial, epoch, ct);
        var snapshot = await store.ReadSnapshotAsync(trial, shown.Epoch, ct);
        if (snapshot.Count == 0) throw new VizInputException($"trial {trial} has no snapshot for epoch {shown.Epoch}");
        var recorded = (await store.GetEpochsAsync(trial, ct)).First(e => e.Epoch == shown.Epoch);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["trial"] = trial.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = shown.Epoch.ToString(CultureInfo.InvariantCulture),
            ["architecture"] = row.Architecture,
            ["architecture_spec"] = await store.GetArchitectureSpecAsync(trial, ct) ?? "",
            ["dataset"] = row.Dataset,
            ["hyperparameters"] = row.HyperparametersJson,
            ["seed"] = row.Seed.ToString(CultureInfo.InvariantCulture),
            ["test_accuracy"] = recorded.Test?.Accuracy is { } accuracy ? accuracy.ToString("R", CultureInfo.InvariantCulture) : "",
        };
        return new TrialWeights(shown, [.. Worker.Recording.Snapshots.ModelTensors(snapshot)], metadata);
    }
}
