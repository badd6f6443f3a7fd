using System.Globalization;
using System.Text.Json;
using Experiments.Contracts;
using Experiments.Store;

namespace Experiments.Visualization.Charts;

/// <summary>
/// Names trials in a comparison by the settings that differ between them, as a researcher would label the lines:
/// "lenet-matconvnet lr=3e-3 weight_decay=5e-4". Settings every trial shares are left out; a trial whose settings differ from
/// no other's (or a lone trial) is "trial N", and two trials that would get the same name get their ids appended.
/// </summary>
public static class TrialNames
{
    // Settings written bare, as their values name themselves. The others are written key=value with the key as the sweep
    // file, the stored hyperparameters, `results show` and the sweep's trial labels (the report's headings) spell it.
    private static readonly HashSet<string> _bare = ["architecture", "dataset", "optimizer"];

    /// <summary>Each trial's name, by id, in the order given.</summary>
    public static IReadOnlyDictionary<long, string> Distinguishing(IReadOnlyList<TrialRow> trials)
    {
        var settings = trials.Select(Settings).ToList();
        var keys = settings.SelectMany(s => s.Keys).Distinct().ToList();
        var differing = keys.Where(k => settings.Select(s => s.GetValueOrDefault(k, "–")).Distinct().Count() > 1).ToList();
        var names = trials.Select((t, i) =>
        {
            // A setting this trial does not have (an older trial without weight_decay, say) is left out of its name.
            var parts = differing.Where(settings[i].ContainsKey).Select(k => _bare.Contains(k)
                ? settings[i][k]
                : $"{k}={ValueText(k, settings[i][k])}").ToList();
            return parts.Count == 0 ? $"trial {t.Id.ToString(CultureInfo.InvariantCulture)}" : string.Join(' ', parts);
        }).ToList();
        // Counted once: asking every name how often it occurs was quadratic (25 million comparisons for 5,000 trials).
        var occurrences = names.CountBy(n => n, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        var result = new Dictionary<long, string>();
        for (var i = 0; i < trials.Count; i++)
        {
            var clash = occurrences[names[i]] > 1 && !names[i].StartsWith("trial ", StringComparison.Ordinal);
            result[trials[i].Id] = clash ? $"{names[i]} (trial {trials[i].Id.ToString(CultureInfo.InvariantCulture)})" : names[i];
        }
        return result;
    }

    // A trial without a --limit trained on all of its training split: "limit=all", not the table's "–" for no value.
    private static string ValueText(string key, string value) => key == "limit" && value is "–" or "0" ? "all" : value;

    /// <summary>The settings that decide what a trial trains, in label order: architecture, dataset, hyperparameters as stored, seed.</summary>
    private static Dictionary<string, string> Settings(TrialRow row)
    {
        var settings = new Dictionary<string, string> { ["architecture"] = row.Architecture, ["dataset"] = row.Dataset };
        using var document = JsonDocument.Parse(row.HyperparametersJson);
        if (document.RootElement.ValueKind == JsonValueKind.Object)
            foreach (var property in document.RootElement.EnumerateObject())
                settings[property.Name] = SettingText.Format(property.Value);
        settings["seed"] = row.Seed.ToString(CultureInfo.InvariantCulture);
        return settings;
    }
}
