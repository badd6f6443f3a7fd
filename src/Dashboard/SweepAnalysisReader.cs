using Experiments.Store;

namespace Experiments.Dashboard;

/// <summary>
/// The sweep page's analysis: which parameters were swept and how to draw them against the sweep's metric at each
/// trial's best trained epoch (the trial table's "best" column).
/// </summary>
internal sealed class SweepAnalysisReader(ResultsStore store, DashboardReader dashboard)
{
    public async Task<SweepAnalysis?> AnalyseAsync(long sweepId, CancellationToken ct)
    {
        if (await store.GetSweepAsync(sweepId, ct) is not { } sweep || await dashboard.SweepAsync(sweepId, ct) is not { } detail) return null;
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
        return new SweepAnalysis(sweep.Metric, sweep.Maximize, parameters);
    }
}
