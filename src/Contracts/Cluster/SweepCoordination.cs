using Orleans;

namespace Experiments.Contracts.Cluster;

/// <summary>
/// What a worker asks of, and tells, the coordinator of a sweep while it trains one of its trials. The coordinator
/// plans and judges; the worker only trains and records, so it references these contracts and not the coordinator.
/// Implemented through the sweep's coordinator grain (<see cref="GrainSweepCoordination"/>), in one process or across a cluster.
/// </summary>
public interface ISweepCoordination
{
    /// <summary>
    /// After each recorded epoch of a sweep with early stopping: continue or stop. Only a verdict comes from here; the
    /// sweep's rules come from its row in PostgreSQL, with the claim.
    /// </summary>
    Task<EpochVerdict> EpochRecordedAsync(EpochReport report, CancellationToken ct);

    /// <summary>An attempt ended, with what the store recorded: the coordinator can fill the freed slot.</summary>
    Task TrialEndedAsync(TrialEnded ended, CancellationToken ct);
}

/// <summary>
/// <see cref="ISweepCoordination"/> through the sweep's <see cref="ISweepCoordinatorGrain"/>. Calls go through
/// <see cref="GrainCallResilience"/>'s retries, so a coordinator silo that is restarting is waited out briefly.
/// </summary>
public sealed class GrainSweepCoordination(IGrainFactory grains) : ISweepCoordination
{
    public async Task<EpochVerdict> EpochRecordedAsync(EpochReport report, CancellationToken ct) =>
        await GrainCallResilience.Pipeline.ExecuteAsync(async _ => await Coordinator(report.SweepId).EpochRecordedAsync(report), ct);

    public Task TrialEndedAsync(TrialEnded ended, CancellationToken ct) =>
        GrainCallResilience.RunAsync(_ => Coordinator(ended.SweepId).TrialEndedAsync(ended), ct).AsTask();

    private ISweepCoordinatorGrain Coordinator(long sweepId) => grains.GetGrain<ISweepCoordinatorGrain>(sweepId);
}
