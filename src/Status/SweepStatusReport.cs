using Experiments.Store;

namespace Experiments.Status;

/// <summary>
/// What <c>sweep status</c> shows: the sweep with its trials counted by status, the trials it lists, and the live
/// workers that quarantined themselves after a fault of their environment (they claim no trials until restarted).
/// </summary>
public sealed record SweepStatusReport(SweepRow Sweep, IReadOnlyList<SweepTrialRow> Trials, IReadOnlyList<QuarantinedWorker> UnhealthyWorkers)
{
    /// <summary>Trials listed unless told otherwise: a screenful.</summary>
    public const int DefaultListed = 30;

    /// <summary>How recently a quarantined worker must have heartbeated to be shown: one gone for longer no longer matters.</summary>
    private static readonly TimeSpan UnhealthyWorkersShownWithin = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The trials to list for <c>--json</c>, <c>--all</c> and <c>--limit</c>: JSON is for programs and lists every
    /// trial (null), as does --all; the table lists the <paramref name="limit"/> a user most needs to see.
    /// </summary>
    public static int? Listed(bool json, bool all, int limit) => json || all ? null : limit;

    /// <summary>
    /// Reads the report in three statements: the sweep, the <paramref name="listed"/> trials a user most needs to see
    /// (running ones, then failed, cancelled and queued; every trial when null), and the unhealthy workers. Null when
    /// there is no such sweep.
    /// </summary>
    public static async Task<SweepStatusReport?> ReadAsync(ResultsStore store, long sweepId, int? listed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (await store.GetSweepAsync(sweepId, ct) is not { } sweep) return null;
        var trials = await store.GetSweepTrialsAsync(sweepId, listed, ct);
        var unhealthy = await store.QuarantinedWorkersAsync(UnhealthyWorkersShownWithin, ct);
        return new SweepStatusReport(sweep, trials, unhealthy);
    }
}
