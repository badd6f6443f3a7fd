using Experiments.Contracts.Cluster;
using Orleans;

namespace Experiments.Worker.Node;

/// <summary>
/// A worker silo's slots as a grain: each call is one short turn over the silo's <see cref="TrialExecutor"/>, which
/// claims in PostgreSQL and trains on its own threads. The grain holds no state; the executor outlives it.
/// </summary>
[WorkerPlacement]
public sealed class TrialWorkerGrain(TrialExecutor executor) : Grain, ITrialWorkerGrain
{
    public Task<int> FreeSlotsAsync() => Task.FromResult(executor.FreeSlots);

    public Task<TrialStartResult> StartTrialAsync(StartTrial trial) =>
        executor.TryStartAsync(trial.TrialId, trial.GpusPerTrial, TimeSpan.Zero, CancellationToken.None);

    public Task CancelTrialsAsync(IReadOnlyList<long> trialIds)
    {
        foreach (var trialId in trialIds) executor.Stop(trialId, StopReason.CancelledByUser);
        return Task.CompletedTask;
    }
}
