using Experiments.Contracts.Cluster;
using Experiments.Store;

namespace Experiments.Coordinator.Orchestration;

/// <summary>
/// The early-stopping verdict on each reported epoch of a stored sweep (<see cref="EarlyStoppingPolicy"/> over the
/// metric histories in PostgreSQL). Read from the sweep as submitted, so a sweep runs the same however long it waits in
/// the queue. The sweep's other rules (snapshot cadence, early stopping on or off) are columns of its row, which
/// workers read when they claim a trial (<see cref="SweepRules"/>).
/// </summary>
public sealed class SweepJudge(SweepSpec spec)
{
    /// <summary>The rules a sweep's row records for its trials, as its spec states them.</summary>
    public static SweepRules RulesOf(SweepSpec spec) => new(spec.Snapshots.Every, spec.EarlyStopping is not NoEarlyStopping);

    /// <summary>
    /// The judge of sweep <paramref name="sweepId"/>, or null when there is no such sweep. A sweep stored before its
    /// rules were columns gets them recorded now, from its spec, so that its trials can be claimed.
    /// </summary>
    public static async Task<SweepJudge?> LoadAsync(ResultsStore store, long sweepId, CancellationToken ct)
    {
        if (await store.GetSweepSpecAsync(sweepId, ct) is not { } json || StoredSweep.FromJson(json) is not { } stored) return null;
        var spec = stored.Read();
        await store.RecordSweepRulesAsync(sweepId, RulesOf(spec), ct);
        return new SweepJudge(spec);
    }

    /// <summary>Continue or stop the reported trial, given every epoch its sweep has recorded (the reported one included).</summary>
    public async Task<EpochVerdict> JudgeAsync(ResultsStore store, EpochReport report, CancellationToken ct)
    {
        if (spec.EarlyStopping is NoEarlyStopping) return EpochVerdict.Continue("early stopping is off");
        var histories = await store.GetMetricHistoriesAsync(report.SweepId, spec.Metric.Name, ct);
        var mine = new MetricHistory(report.TrialId, histories.GetValueOrDefault(report.TrialId, []));
        var others = histories.Where(h => h.Key != report.TrialId).Select(h => new MetricHistory(h.Key, h.Value)).ToList();
        var decision = EarlyStoppingPolicy.Decide(spec.EarlyStopping, spec.Metric, mine, others);
        return new EpochVerdict(decision.Stop, decision.Reason);
    }
}
