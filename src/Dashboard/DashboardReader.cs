using System.Globalization;
using System.Text.Json;
using Experiments.Contracts;
using Experiments.Store;
using Experiments.Visualization;
using Experiments.Visualization.Charts;
using Microsoft.EntityFrameworkCore;

namespace Experiments.Dashboard;

/// <summary>
/// What the dashboard's JSON endpoints answer, read from the results store through the same calls <c>sweep status</c>,
/// <c>results show</c> and <c>viz</c> make, so a figure reads the same in the browser as in the terminal.
/// </summary>
internal sealed partial class DashboardReader(ResultsStore store, TimeProvider time)
{
    /// <summary>The metrics a learning curve can show, each with how to read it from an epoch.</summary>
    public static readonly IReadOnlyDictionary<string, Func<EpochEntity, double?>> CurveMetrics = new Dictionary<string, Func<EpochEntity, double?>>
    {
        ["train_loss"] = e => e.TrainLoss, ["val_loss"] = e => e.ValLoss, ["test_loss"] = e => e.TestLoss,
        ["train_accuracy"] = e => e.TrainAccuracy, ["val_accuracy"] = e => e.ValAccuracy, ["test_accuracy"] = e => e.TestAccuracy,
    };

    public async Task<IReadOnlyList<SweepSummary>> SweepsAsync(CancellationToken ct)
    {
        // One statement for the whole page, not one per sweep.
        var sweeps = await store.ListSweepOverviewsAsync(limit: 1000, ct);
        return [.. sweeps.Select(s => Summary(s.Sweep, s.Trials))];
    }

    public async Task<TrialDetail?> TrialAsync(long trialId, CancellationToken ct)
    {
        if (await store.GetTrialAsync(trialId, ct) is not { } row) return null;
        var epochs = await store.GetEpochsAsync(trialId, ct);
        var snapshots = await store.SnapshotEpochsAsync(trialId, ct);
        var best = await store.GetStoredBestAsync(trialId, ct);
        var kept = snapshots.ToHashSet();
        var layers = new List<ConvLayer>();
        if (snapshots.Count > 0)
            foreach (var tensor in await store.ReadSnapshotAsync(trialId, snapshots[0], ct))
                if (tensor.Shape.Length == 4 && tensor.Name.EndsWith(".weight", StringComparison.Ordinal) && !tensor.Name.StartsWith("optimizer/", StringComparison.Ordinal))
                    layers.Add(new ConvLayer(tensor.Name[..^".weight".Length], tensor.Name, tensor.Shape));
        var table = epochs.Select(e => new EpochRow(e.Epoch, SettingText.Format(e.LearningRate), MetricText.Loss(e.Train?.Loss), PercentText.Format(e.Train?.Accuracy),
            MetricText.Loss(e.Validation?.Loss), PercentText.Format(e.Validation?.Accuracy), MetricText.Loss(e.Test?.Loss), PercentText.Format(e.Test?.Accuracy),
            e.Epoch == 0 ? "–" : e.Seconds.ToString("F1", CultureInfo.InvariantCulture), kept.Contains(e.Epoch))).ToList();
        return new TrialDetail(row.Id, row.SweepId, row.Architecture, row.Dataset, row.Status.ToText(),
            [.. TrialSettings.Of(row).Select(s => new Setting(s.Name, s.Value))], table, layers, snapshots, best?.Epoch, best?.Value,
            [.. TrialCurves.Of(row.Id, $"trial {row.Id}", epochs, TrialCurves.TrialPageWidth)]);
    }

    /// <summary>
    /// A fingerprint of everything the pages show that changes while sweeps run (sweeps, epochs, each trial's status,
    /// attempts and heartbeat): the live feed tells the pages to refresh when it changes.
    /// </summary>
    public async Task<string> ChangeFingerprintAsync(CancellationToken ct)
    {
        await using var db = store.CreateDbContext();
        return await db.Database.SqlQueryRaw<string>(
            """
            SELECT concat_ws('/',
                (SELECT count(*) || ':' || coalesce(max(s.status), '') FROM sweeps s),
                (SELECT count(*) || ':' || coalesce(max(e.recorded_at)::text, '') FROM epochs e),
                (SELECT md5(coalesce(string_agg(t.id || t.status || t.attempts || coalesce(t.heartbeat_at::text, ''), ',' ORDER BY t.id), '')) FROM trials t)) AS "Value"
            """).SingleAsync(ct);
    }

    /// <summary>
    /// Runs each kind of read once, for nothing (trial and sweep 0 do not exist), off the request path: the first
    /// query builds EF Core's model and compiles the queries, which made the first page after start take 2.4 s
    /// (0.05 s after that) on a loaded 2-core machine.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        await store.ListSweepsAsync(1, ct);
        await TrialAsync(0, ct);
        await SweepAsync(0, ct);
        await CurvesAsync(0, 800, null, ct);
        await ChangeFingerprintAsync(ct);
    }

    private SweepSummary Summary(SweepRow sweep, IReadOnlyList<SweepTrialRow> trials)
    {
        var progress = SweepProgress(trials);
        var elapsed = (time.GetUtcNow() - sweep.CreatedAt).TotalSeconds;
        double? eta = sweep.Status == SweepStatus.Running && progress is > 0 and < 1 ? elapsed * (1 - progress) / progress : null;
        return new SweepSummary(sweep.Id, sweep.Name, sweep.Status.ToText(), sweep.Dataset, sweep.Metric, sweep.TrialCount,
            sweep.TrialsByStatus.ToDictionary(kv => kv.Key.ToText(), kv => kv.Value), progress, eta, sweep.CreatedAt, sweep.FinishedAt);
    }

    /// <summary>The fraction of the planned epochs done: a trial that finished (however) counts whole, a queued or running one by its trained epochs.</summary>
    internal static double SweepProgress(IReadOnlyList<SweepTrialRow> trials) =>
        trials.Count == 0 ? 0 : trials.Average(t => t.Status is TrialStatus.Queued or TrialStatus.Running
            ? Math.Min(1.0, t.EpochsRecorded / (double)Math.Max(1, t.PlannedEpochs))
            : 1.0);

    private static (Dictionary<string, object?> Values, Dictionary<string, string> Texts) Parameters(TrialRow row)
    {
        var values = new Dictionary<string, object?> { ["arch"] = row.Architecture };
        var texts = new Dictionary<string, string> { ["arch"] = row.Architecture };
        using var document = JsonDocument.Parse(row.HyperparametersJson);
        if (document.RootElement.ValueKind != JsonValueKind.Object) return (values, texts);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            values[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.Number => property.Value.GetDouble(),
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                _ => property.Value.GetRawText(),
            };
            texts[property.Name] = SettingText.Format(property.Value);
        }
        return (values, texts);
    }
}
