using System.Globalization;
using Experiments.Store;
using Experiments.Visualization.Charts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Experiments.Dashboard;

/// <summary>
/// The compare page (<c>/compare?trials=3,4</c>): 2 to 4 trials side by side, with their settings (those that differ
/// marked), their learning curves on shared axes, and the kernels of a layer they share at an epoch all of them stored.
/// </summary>
public static class ComparePage
{
    public const int MinTrials = 2;
    public const int MaxTrials = 4;

    /// <summary>Maps <c>/compare</c> and <c>GET /api/compare?trials=3,4[&amp;width=800]</c>.</summary>
    public static WebApplication MapComparePage(this WebApplication app)
    {
        app.MapGet("/compare", () => StaticAssets.Serve("page.html"));
        app.MapGet("/api/compare", async (string? trials, int? width, DashboardReader reader, DashboardOptions options, CancellationToken ct) =>
        {
            if (width is < 1 or > 10_000) return Error(StatusCodes.Status400BadRequest, "width must be a number of pixels from 1 to 10000");
            if (ParseTrials(trials) is { Error: { } problem }) return Error(StatusCodes.Status400BadRequest, problem);
            var ids = ParseTrials(trials).Ids;
            var details = new List<TrialDetail>();
            var rows = new List<TrialRow>();
            foreach (var id in ids)
            {
                if (await reader.TrialAsync(id, ct) is not { } detail || await options.Store.GetTrialAsync(id, ct) is not { } row)
                    return Error(StatusCodes.Status404NotFound, $"there is no trial {id}");
                details.Add(detail);
                rows.Add(row);
            }
            return Results.Json(await CompareAsync(options.Store, details, rows, width ?? 800, ct));
        });
        return app;
    }

    /// <summary>The trial ids of <c>?trials=3,4</c>, or what is wrong with them.</summary>
    internal static (IReadOnlyList<long> Ids, string? Error) ParseTrials(string? text)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ids = new List<long>();
        foreach (var part in parts)
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) return ([], $"'{part}' is not a trial id: compare?trials=3,4");
            if (!ids.Contains(id)) ids.Add(id);
        }
        return ids.Count is < MinTrials or > MaxTrials
            ? ([], $"compare {MinTrials} to {MaxTrials} different trials, e.g. compare?trials=3,4; got {ids.Count}")
            : (ids, null);
    }

    private static async Task<CompareView> CompareAsync(ResultsStore store, IReadOnlyList<TrialDetail> details, IReadOnlyList<TrialRow> rows, int width, CancellationToken ct)
    {
        var names = TrialNames.Distinguishing(rows);
        var trials = details.Select(d => new ComparedTrial(d.Id, names.GetValueOrDefault(d.Id, $"trial {d.Id}"), d.Architecture, d.Status, d.SweepId)).ToList();

        // Every setting any of them has, in the order the trial page lists them; "–" where a trial has none.
        var byTrial = details.Select(d => d.Settings.ToDictionary(s => s.Name, s => s.Value)).ToList();
        var settings = details.SelectMany(d => d.Settings.Select(s => s.Name)).Distinct()
            .Select(name =>
            {
                var values = byTrial.Select(s => s.GetValueOrDefault(name, "–")).ToList();
                return new SettingDifference(name, values, values.Distinct().Count() > 1);
            }).ToList();

        // The trained epochs (epoch 0 is the untrained baseline, as on the sweep page), cut to the plot's width.
        var curves = new List<TrialCurve>();
        foreach (var trial in trials) curves.AddRange(TrialCurves.Of(trial.Id, trial.Name, await store.GetEpochsAsync(trial.Id, ct), width));

        var sharedLayers = details.Skip(1).Aggregate(details[0].ConvLayers.Select(l => l.Layer),
            (shared, d) => shared.Intersect(d.ConvLayers.Select(l => l.Layer))).ToList();
        var sharedEpochs = details.Skip(1).Aggregate(details[0].SnapshotEpochs.AsEnumerable(), (shared, d) => shared.Intersect(d.SnapshotEpochs)).Order().ToList();
        return new CompareView(trials, settings, curves, sharedLayers, sharedEpochs);
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}

/// <summary>A trial on the compare page: its id, the name that tells it from the others (the settings that differ), architecture, status, sweep.</summary>
public sealed record ComparedTrial(long Id, string Name, string Architecture, string Status, long? SweepId);

/// <summary>One setting across the compared trials, in their order, as the trial page writes it; Differs when the values are not all the same.</summary>
public sealed record SettingDifference(string Name, IReadOnlyList<string> Values, bool Differs);

/// <summary>
/// The compare page's data: the trials, their settings, their curves (train, validation and test loss in nats and
/// accuracy as a fraction, per trained epoch), the conv layers all of them have and the epochs all of them kept weights for.
/// </summary>
public sealed record CompareView(
    IReadOnlyList<ComparedTrial> Trials, IReadOnlyList<SettingDifference> Settings, IReadOnlyList<TrialCurve> Curves,
    IReadOnlyList<string> SharedLayers, IReadOnlyList<int> SharedEpochs);
