namespace Experiments.Coordinator.Tests;

/// <summary>Builders shared by the early-stopping tests: histories from literals, and a replay of a sweep's epochs in a given order.</summary>
internal static class Early_stopping_histories
{
    public static MetricHistory History(long trialId, params double[] perEpoch) => new(trialId, perEpoch);

    /// <summary>Other trials numbered from 100, so they never collide with the trial under test.</summary>
    public static IReadOnlyList<MetricHistory> Others(params double[][] histories) =>
        histories.Select((values, i) => History(100 + i, values)).ToList();

    /// <summary>
    /// Replays a sweep as a worker would: each entry of <paramref name="schedule"/> is a trial completing its next epoch
    /// (its value taken from <paramref name="curves"/>), after which the policy is asked about that trial with every
    /// other trial's history so far. A stopped trial runs no more epochs; its later entries in the schedule are skipped.
    /// </summary>
    /// <returns>Each stopped trial with the epoch it was stopped after, and every trial's recorded epochs.</returns>
    public static (IReadOnlyDictionary<int, int> StoppedAt, IReadOnlyList<int> EpochsRun) Replay(
        EarlyStopping rule, MetricGoal goal, double[][] curves, IEnumerable<int> schedule)
    {
        var recorded = curves.Select(_ => new List<double>()).ToArray();
        var stoppedAt = new Dictionary<int, int>();
        foreach (var trial in schedule)
        {
            if (stoppedAt.ContainsKey(trial)) continue;
            recorded[trial].Add(curves[trial][recorded[trial].Count]);
            var others = Enumerable.Range(0, curves.Length).Where(t => t != trial)
                .Select(t => new MetricHistory(t, recorded[t].ToArray())).ToList();
            var decision = EarlyStoppingPolicy.Decide(rule, goal, new MetricHistory(trial, recorded[trial].ToArray()), others);
            if (decision.Stop) stoppedAt[trial] = recorded[trial].Count;
        }
        return (stoppedAt, recorded.Select(r => r.Count).ToList());
    }
}
