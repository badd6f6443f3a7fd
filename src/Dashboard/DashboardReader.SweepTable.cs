using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Experiments.Store;
using Experiments.Contracts;
using Experiments.Visualization.Charts;
using Microsoft.EntityFrameworkCore;

namespace Experiments.Dashboard;

/// <summary>
/// The sweep page's trial table and learning curves, each read by one statement, and the table kept per sweep until the
/// change fingerprint moves, so a second viewer (and the analysis endpoint) reuses it.
/// </summary>
/// <remarks>
/// At 1,000 trials × 30 epochs the table took 3.6× the raw SQL of its rows: four store calls, one of them every trained
/// epoch materialised as EF Core entities only to find each trial's best one. Then PostgreSQL found each trial's best
/// epoch at every read, most of the 5,000-trial page's time; now the store keeps it on the trial as epochs are written
/// (the same read as <c>sweep status</c>), and the curves read only the trials the chart draws.
/// </remarks>
internal sealed partial class DashboardReader
{
    private readonly Lock _tableGate = new();
    private readonly Dictionary<long, CachedTable> _tables = [];
    private volatile string? _feedFingerprint;

    /// <summary>The sweep's table as last read, the change fingerprint it was read after, and its JSON once asked for.</summary>
    private sealed record CachedTable(string Fingerprint, SweepRow Sweep, IReadOnlyList<SweepTrialRow> Progress, IReadOnlyList<string> Parameters,
        IReadOnlyList<SweepTrial> Trials)
    {
        public byte[]? Json { get; set; }
    }

    /// <summary>
    /// The shared change feed's latest fingerprint while it polls (null once it stops): the table cache uses it as its
    /// key instead of asking the database again. It is at most one poll interval old, and pages fetch again after the
    /// poll that sees a change, so no page keeps a stale table.
    /// </summary>
    internal void ObserveFingerprint(string? fingerprint) => _feedFingerprint = fingerprint;

    /// <summary>
    /// The sweep page's data: the sweep and a row per trial (status, hyperparameters, the sweep's metric at the trial's
    /// best trained epoch and that epoch, progress, attempts, worker, heartbeat, error), in trial-index order; null for
    /// an unknown sweep. The best epoch is the one best by the sweep's metric and goal among finite values, the earliest
    /// of equals, as <c>results top</c> ranks.
    /// </summary>
    public async Task<SweepDetail?> SweepAsync(long sweepId, CancellationToken ct)
    {
        if (await CachedTableAsync(sweepId, ct) is not { } table) return null;
        return new SweepDetail(Summary(table.Sweep, table.Progress), table.Parameters, table.Trials) { Maximize = table.Sweep.Maximize };
    }

    /// <summary>
    /// <see cref="SweepAsync"/> as the endpoint's JSON, serialised once per change: 2.8 MiB for 5,000 trials took about as
    /// long to write as the cached table took to find. Its progress and ETA are those of the last change (a running
    /// sweep changes at every heartbeat).
    /// </summary>
    public async Task<byte[]?> SweepJsonAsync(long sweepId, CancellationToken ct)
    {
        if (await CachedTableAsync(sweepId, ct) is not { } table) return null;
        return table.Json ??= JsonSerializer.SerializeToUtf8Bytes(
            new SweepDetail(Summary(table.Sweep, table.Progress), table.Parameters, table.Trials) { Maximize = table.Sweep.Maximize }, JsonSerializerOptions.Web);
    }

    private async Task<CachedTable?> CachedTableAsync(long sweepId, CancellationToken ct)
    {
        // The key is read before the rows, so the rows are at least as new as the key says.
        var fingerprint = _feedFingerprint ?? await ChangeFingerprintAsync(ct);
        lock (_tableGate)
            if (_tables.TryGetValue(sweepId, out var cached) && cached.Fingerprint == fingerprint) return cached;
        if (await ReadTableAsync(sweepId, fingerprint, ct) is not { } table) return null;
        lock (_tableGate) _tables[sweepId] = table;
        return table;
    }

    private async Task<CachedTable?> ReadTableAsync(long sweepId, string fingerprint, CancellationToken ct)
    {
        if (await store.GetSweepAsync(sweepId, ct) is not { } sweep) return null;
        // Each trial's best value and epoch are stored with it (ResultsStore.GetSweepTableAsync): nothing ranks epochs here.
        var rows = (await store.GetSweepTableAsync(sweepId, ct)).Select(r =>
        {
            var p = r.Progress;
            // Only what TrialNames and the parameter columns read; the summary figures are not shown here.
            var trial = new TrialRow(p.TrialId, sweepId, r.Architecture, r.Dataset, r.HyperparametersJson, r.Seed, p.Status,
                p.Attempts, p.Worker, p.Error, default, null, null, 0, null, null, null);
            return (Progress: p, Trial: trial, p.BestEpoch);
        }).ToList();
        var settings = SettingsOf(sweepId, [.. rows.Select(r => r.Trial)]);
        var trials = rows.ConvertAll(r =>
        {
            var (p, best) = (r.Progress, r.Progress.BestMetric);
            var (parameters, texts) = settings.Parameters[p.TrialId];
            return new SweepTrial(p.TrialId, p.Index, p.Label, settings.Names[p.TrialId], p.Status.ToText(), parameters, texts, best,
                MetricText.Format(sweep.Metric, best), r.BestEpoch, p.Attempts, p.Worker, p.HeartbeatAt, p.Error, p.EpochsRecorded, p.PlannedEpochs);
        });
        return new CachedTable(fingerprint, sweep, [.. rows.Select(r => r.Progress)], settings.Columns, trials);
    }

    /// <summary>What the table shows of the trials' settings: names, parameter values and texts, and the differing columns.</summary>
    private sealed record SweepSettings(IReadOnlyList<long> Ids, IReadOnlyList<string> Hyperparameters, IReadOnlyDictionary<long, string> Names,
        IReadOnlyDictionary<long, (Dictionary<string, object?> Values, Dictionary<string, string> Texts)> Parameters, IReadOnlyList<string> Columns);

    private readonly Dictionary<long, SweepSettings> _settings = [];

    /// <summary>
    /// The trials' names and parameters, worked out again only when the sweep's trials or their settings differ from the
    /// last read: a heartbeat or an epoch changes neither, and naming 5,000 trials and parsing their settings took as
    /// long as the statement that reads them.
    /// </summary>
    private SweepSettings SettingsOf(long sweepId, IReadOnlyList<TrialRow> rows)
    {
        lock (_tableGate)
            if (_settings.TryGetValue(sweepId, out var known) && known.Ids.SequenceEqual(rows.Select(r => r.Id))
                && known.Hyperparameters.SequenceEqual(rows.Select(r => r.HyperparametersJson), StringComparer.Ordinal))
                return known;
        var parameters = rows.ToDictionary(r => r.Id, Parameters);
        // The table's columns: the architecture always (filters name it), then every hyperparameter that differs between trials.
        var columns = parameters.Values.SelectMany(p => p.Texts.Keys).Distinct()
            .Where(k => k == "arch" || parameters.Values.Select(p => p.Texts.GetValueOrDefault(k, "–")).Distinct().Count() > 1).ToList();
        var settings = new SweepSettings([.. rows.Select(r => r.Id)], [.. rows.Select(r => r.HyperparametersJson)], TrialNames.Distinguishing(rows), parameters, columns);
        lock (_tableGate) _settings[sweepId] = settings;
        return settings;
    }

    /// <summary>
    /// Each trial's curves for the six metrics over its trained epochs, each cut to <paramref name="width"/> buckets;
    /// only the trials of <paramref name="trialIds"/> (those of the sweep among them) when given, every trial otherwise.
    /// Null for an unknown sweep. Trials are named as the table names them.
    /// </summary>
    public async Task<IReadOnlyList<TrialCurve>?> CurvesAsync(long sweepId, int width, IReadOnlyCollection<long>? trialIds, CancellationToken ct)
    {
        if (await CachedTableAsync(sweepId, ct) is not { } table) return null;
        var names = table.Trials.ToDictionary(t => t.Id, t => t.Name);
        var wanted = trialIds is null ? [.. names.Keys] : trialIds.Where(names.ContainsKey).Distinct().ToArray();
        var curves = new List<TrialCurve>();
        if (wanted.Length == 0) return curves;
        var metrics = CurveMetrics.Keys.ToArray();
        var histories = new SortedDictionary<long, (List<double> X, List<double?>[] Y)>();
        await ReadRowsAsync($"SELECT trial_id, epoch, {string.Join(", ", metrics)} FROM epochs WHERE trial_id = ANY(@value) AND epoch > 0 ORDER BY trial_id, epoch",
            wanted, reader =>
            {
                var trial = reader.GetInt64(0);
                if (!histories.TryGetValue(trial, out var history))
                    histories[trial] = history = ([], [.. metrics.Select(_ => new List<double?>())]);
                history.X.Add(reader.GetInt32(1));
                for (var m = 0; m < metrics.Length; m++)
                {
                    double? value = reader.IsDBNull(2 + m) ? null : reader.GetDouble(2 + m);
                    history.Y[m].Add(value is { } v && double.IsFinite(v) ? v : null);
                }
            }, ct);
        foreach (var (trial, history) in histories)
            for (var m = 0; m < metrics.Length; m++)
            {
                if (history.Y[m].All(v => v is null)) continue;
                curves.Add(new TrialCurve(trial, names[trial], metrics[m], SeriesDownsampling.MinMaxLast(new CurvePoints(history.X, history.Y[m]), width)));
            }
        return curves;
    }

    /// <summary>Runs <paramref name="sql"/> with <paramref name="value"/> as <c>@value</c> on the store's (read-only) connection, handing each row to <paramref name="row"/>.</summary>
    private async Task ReadRowsAsync(string sql, object value, Action<DbDataReader> row, CancellationToken ct)
    {
        await using var db = store.CreateDbContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "value";
        parameter.Value = value;
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) row(reader);
    }
}

/// <summary>The <c>trials=3,4,9</c> of the curves' address: which trials' curves to send (absent: all of them).</summary>
internal static class TrialIdList
{
    /// <summary>True with the ids (null when <paramref name="text"/> is absent), or false with what is wrong in one line.</summary>
    public static bool TryParse(string? text, out IReadOnlyCollection<long>? ids, out string problem)
    {
        (ids, problem) = (null, "");
        if (text is null) return true;
        var parsed = new HashSet<long>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                problem = $"'{part}' is not a trial id: trials is a comma-separated list such as trials=3,4,9";
                return false;
            }
            parsed.Add(id);
        }
        ids = parsed;
        return true;
    }
}
