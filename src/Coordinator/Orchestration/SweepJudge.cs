using Experiments.Contracts.Cluster;
using Experiments.Store;

namespace Experiments.Coordinator.Orchestration;

/// <summary>
/// A stored sweep's rules for its trials: the snapshot cadence workers record with, and the early-stopping verdict on
/// each reported epoch (<see cref="EarlyStoppingPolicy"/> over the metric histories in PostgreSQL). Read from the sweep
/// as submitted, so a sweep runs the same however long it waits in the queue.
/// </summary>
public sealed class SweepJudge(SweepSpec spec)
{
    /// <summary>The rules of a sweep that is not in the store (deleted): every epoch's weights, no early stopping.</summary>
    public static SweepRules NoRules { get; } = new(SnapshotPolicy.EveryEpoch.Every, EarlyStopping: false);

    public SweepRules Rules { get; } = new(spec.Snapshots.Every, spec.EarlyStopping is not NoEarlyStopping);

    /// <summary>The judge of sweep <paramref name="sweepId"/>, or null when there is no such sweep.</summary>
    public static async Task<SweepJudge?> LoadAsync(ResultsStore store, long sweepId, CancellationToken ct) =>
        await store.GetSweepSpecAsync(sweepId, ct) is { } json && StoredSweep.FromJson(json) is { } stored ? new SweepJudge(stored.Read()) : null;

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
