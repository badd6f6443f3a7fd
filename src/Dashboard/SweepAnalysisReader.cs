using System.Collections.Concurrent;
using System.Globalization;
using Experiments.Analysis.Importance;
using Experiments.Store;

namespace Experiments.Dashboard;

/// <summary>
/// The sweep page's analysis: which parameters were swept and how to draw them, and their importance for the sweep's
/// metric at each trial's best trained epoch (the trial table's "best" column), by the exact main-effect ANOVA when
/// the trials form a full grid and by PED-ANOVA otherwise.
/// </summary>
internal sealed class SweepAnalysisReader(ResultsStore store, DashboardReader dashboard)
{
    // The last analysis per sweep, with the trial rows it was computed from: the reader keeps one list of rows per sweep
    // until something changes, so the same list means the same answer (PED-ANOVA on 5,000 trials is not free).
    private readonly ConcurrentDictionary<long, (SweepDetail Detail, SweepAnalysis Analysis)> _analysed = new();

    public async Task<SweepAnalysis?> AnalyseAsync(long sweepId, CancellationToken ct)
    {
        if (await store.GetSweepAsync(sweepId, ct) is not { } sweep || await dashboard.SweepAsync(sweepId, ct) is not { } detail) return null;
        if (_analysed.TryGetValue(sweepId, out var last) && SameInputs(last.Detail, detail))
        {
            _analysed[sweepId] = (detail, last.Analysis);
            return last.Analysis;
        }
        var analysis = Analyse(sweep, detail);
        _analysed[sweepId] = (detail, analysis);
        return analysis;
    }

    /// <summary>
    /// Whether a new read of the table holds what the analysis reads: the same columns and, trial by trial, the same
    /// best value, status and settings. A heartbeat, the commonest change while a sweep runs, moves none of them, and
    /// analysing 5,000 trials again took as long as reading their table. Settings come from the reader's own cache, so
    /// the same objects mean the same settings.
    /// </summary>
    private static bool SameInputs(SweepDetail last, SweepDetail next) =>
        ReferenceEquals(last.Trials, next.Trials)
        || (ReferenceEquals(last.Parameters, next.Parameters) && last.Trials.Count == next.Trials.Count
            && last.Trials.Zip(next.Trials).All(p => p.First.Best == p.Second.Best && p.First.Status == p.Second.Status
                && ReferenceEquals(p.First.Parameters, p.Second.Parameters) && ReferenceEquals(p.First.ParameterTexts, p.Second.ParameterTexts)));

    private static SweepAnalysis Analyse(SweepRow sweep, SweepDetail detail)
    {
        var trials = detail.Trials;
        // The swept parameters: the table's columns whose value differs between trials (the architecture may not).
        var swept = detail.Parameters.Where(p => trials.Select(t => t.ParameterTexts.GetValueOrDefault(p, "–")).Distinct().Count() > 1).ToList();
        var parameters = swept.Select(p =>
        {
            var numbers = trials.Select(t => t.Parameters.GetValueOrDefault(p) as double?).ToList();
            var numeric = numbers.All(n => n is not null);
            var log = numeric && numbers.All(n => n > 0) && numbers.Max() / numbers.Min() >= 10;
            return new AnalysedParameter(p, numeric, log);
        }).ToList();
        return new SweepAnalysis(sweep.Metric, sweep.Maximize, parameters, Importance(sweep, parameters, trials));
    }

    private static SweepImportance Importance(SweepRow sweep, IReadOnlyList<AnalysedParameter> parameters, IReadOnlyList<SweepTrial> trials)
    {
        if (parameters.Count == 0) return new SweepImportance("none", [], null, 0, trials.Count, "no parameter differs between the trials");
        var valued = trials.Where(t => t.Best is { } b && double.IsFinite(b)).ToList();
        string Level(SweepTrial t, string p) => t.ParameterTexts.GetValueOrDefault(p, "–");
        var names = parameters.Select(p => p.Name).ToList();
        var cells = trials.Select(t => string.Join('\u001f', names.Select(p => Level(t, p)))).Distinct().Count();
        var grid = names.Aggregate(1L, (n, p) => n * trials.Select(t => Level(t, p)).Distinct().Count());
        if (cells == grid && grid > 1)
        {
            var unvalued = trials.Except(valued).ToList();
            var cellsWithout = trials.GroupBy(t => string.Join(' ', names.Select(p => $"{p}={Level(t, p)}")))
                .Where(g => g.All(t => t.Best is not { } b || !double.IsFinite(b))).Select(g => g.Key).ToList();
            if (cellsWithout.Count > 0)
                return new SweepImportance("main-effect ANOVA", [], null, valued.Count, trials.Count, string.Create(CultureInfo.InvariantCulture,
                    $"the grid is incomplete: {cellsWithout.Count} of {grid} cells have no {sweep.Metric} ({Describe(unvalued)}), e.g. {string.Join("; ", cellsWithout.Take(3))}. Main effects on a grid with holes are no longer a decomposition of its variance, so importance waits for every cell."));
            var decomposition = MainEffectAnova.Decompose(names, [.. valued.Select(t => new FactorialRun([.. names.Select(p => Level(t, p))], t.Best!.Value))]);
            if (decomposition.TotalVariance == 0)
                return new SweepImportance("main-effect ANOVA", [], null, valued.Count, trials.Count, $"every cell has the same {sweep.Metric}: no parameter matters");
            var note = unvalued.Count > 0
                ? $"{unvalued.Count} repeat(s) without a {sweep.Metric} ({Describe(unvalued)}) are left out; their cells keep the mean of the other repeats"
                : null;
            return new SweepImportance("main-effect ANOVA", [.. decomposition.MainEffects.Select(e => new ImportanceBar(e.Factor, e.Share))],
                decomposition.InteractionShare, valued.Count, trials.Count, note);
        }
        if (valued.Count < 3)
            return new SweepImportance("PED-ANOVA", [], null, valued.Count, trials.Count, $"PED-ANOVA needs at least 3 trials with a {sweep.Metric}; {valued.Count} have one so far");
        var columns = parameters.Select(p => p.Numeric
            ? new SearchedParameter(p.Name, [.. valued.Select(t => (double)t.Parameters[p.Name]!)], null, p.Log)
            : new SearchedParameter(p.Name, null, [.. valued.Select(t => Level(t, p.Name))])).ToList();
        var importance = PedAnova.Importance(columns, [.. valued.Select(t => t.Best!.Value)], sweep.Maximize);
        var left = trials.Count - valued.Count;
        return new SweepImportance("PED-ANOVA", [.. importance.Select(i => new ImportanceBar(i.Name, i.Importance))], null, valued.Count, trials.Count,
            left > 0 ? $"{left} trial(s) without a {sweep.Metric} ({Describe(trials.Except(valued).ToList())}) are left out" : null);
    }

    /// <summary>Trials without a value, counted by status: "1 failed, 2 running".</summary>
    private static string Describe(IReadOnlyList<SweepTrial> trials) =>
        string.Join(", ", trials.GroupBy(t => t.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key.Replace('_', ' ')}"));
}
