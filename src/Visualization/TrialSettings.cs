using System.Globalization;
using System.Text.Json;
using Experiments.Contracts;
using Experiments.Store;

namespace Experiments.Visualization;

/// <summary>
/// Everything that decided what a trial trained, as labelled text in one fixed order: the data (dataset, input shape,
/// limit, split sizes), the hyperparameters the trial's optimizer used, the seed, and the code and host that ran it,
/// each once. <c>results show</c>,
/// <c>results compare</c> and <c>viz report</c> all list these, so a setting is never shown in one and missing in another.
/// </summary>
public static class TrialSettings
{
    /// <summary>Hyperparameter keys with their labels, in display order; keys a trial stores beyond these follow them.</summary>
    private static readonly (string Key, string Label)[] _known =
    [
        ("optimizer", "optimizer"), ("lr", "learning rate"), ("weight_decay", "weight decay"), ("lr_decay", "lr decay (per epoch)"),
        ("momentum", "momentum"), ("batch_size", "batch size"), ("epochs", "epochs"),
    ];

    private static readonly HashSet<string> _shownElsewhere = ["input", "limit", "val_split", .. _known.Select(k => k.Key)];

    /// <summary>The settings of <paramref name="row"/> as (name, value) pairs, in display order.</summary>
    public static IReadOnlyList<(string Name, string Value)> Of(TrialRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        using var document = JsonDocument.Parse(row.HyperparametersJson);
        var hyperparameters = document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement : default;
        string? Stored(string key) =>
            hyperparameters.ValueKind == JsonValueKind.Object && hyperparameters.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null
                ? SettingText.Format(value)
                : null;

        var settings = new List<(string, string)>
        {
            ("architecture", row.Architecture),
            ("dataset", row.Dataset),
            ("input", Stored("input") ?? "not recorded"),
            ("data limit", Stored("limit") is { } limit ? $"the first {limit} training images" : "none: every training image"),
            ("validation split", Stored("val_split") ?? "not recorded"),
            ("images (train / validation / test)", row.Context is { } c ? $"{Count(c.TrainImages)} / {Count(c.ValidationImages)} / {Count(c.TestImages)}" : "not recorded"),
        };
        foreach (var (key, label) in _known)
            if (Stored(key) is { } value && UsedBy(Stored("optimizer"), key)) settings.Add((label, value));
        if (hyperparameters.ValueKind == JsonValueKind.Object)
            foreach (var other in hyperparameters.EnumerateObject().Where(p => !_shownElsewhere.Contains(p.Name)))
                settings.Add((other.Name, SettingText.Format(other.Value)));
        settings.Add(("seed", row.Seed.ToString(CultureInfo.InvariantCulture)));
        settings.Add(("code version", row.Context?.CodeVersion ?? "not recorded"));
        settings.Add(("host", row.Context?.Host ?? "not recorded"));
        return settings;
    }

    /// <summary>
    /// Whether <paramref name="optimizer"/> reads the setting <paramref name="key"/>: momentum is SGD's alone (our Adam
    /// takes only the learning rate and weight decay), so an Adam trial's stored default momentum is not shown.
    /// </summary>
    private static bool UsedBy(string? optimizer, string key) => key != "momentum" || optimizer is null or "sgd";

    /// <summary>The learning rate and weight decay as the leaderboards show them, e.g. "1e-3 / 5e-4".</summary>
    public static string LearningRateAndDecay(string hyperparametersJson)
    {
        using var document = JsonDocument.Parse(hyperparametersJson);
        string Value(string key) =>
            document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(key, out var value) ? SettingText.Format(value) : "–";
        return $"{Value("lr")} / {Value("weight_decay")}";
    }

    private static string Count(int images) => images.ToString("N0", CultureInfo.InvariantCulture);
}
