using Experiments.Store;
using Microsoft.Extensions.Logging;

namespace Experiments.Coordinator.Orchestration;

/// <summary>
/// The decisions a sweep's coordinator makes from PostgreSQL alone (<see cref="SweepCoordinatorGrain"/> runs them on
/// each pass): take back trials whose worker died, and fail requests no live worker can ever meet.
/// </summary>
public static class SweepPlanning
{
    /// <summary>
    /// Takes back trials whose leases ran out, unless the database has just come back: nobody could heartbeat while it
    /// was away, so leases that ran out meanwhile say nothing about the workers; they get the time a live worker takes
    /// to beat again first.
    /// </summary>
    internal static async Task ReclaimExpiredLeasesAsync(ResultsStore store, CoordinatorOptions options, ILogger logger, CancellationToken ct)
    {
        var redriven = await store.ReclaimExpiredAsync(graceAfterOutage: options.WorkerLiveWithin, ct);
        if (redriven.Requeued.Count > 0)
            logger.LogWarning("Re-queued trials {Trials}: their worker stopped heartbeating; they resume from their latest epoch", redriven.Requeued);
        if (redriven.Failed.Count > 0)
            logger.LogWarning("Failed trials {Trials}: their worker stopped heartbeating on their last allowed attempt", redriven.Failed);
        if (redriven.Cancelled.Count > 0)
            logger.LogInformation("Cancelled trials {Trials}: their sweep was cancelled and their worker stopped heartbeating", redriven.Cancelled);
    }

    /// <summary>Fails the sweep's queued trials with <paramref name="reason"/>, and says so in the log.</summary>
    internal static async Task FailUnschedulableAsync(ResultsStore store, long sweepId, string reason, ILogger logger, CancellationToken ct)
    {
        var failed = await store.FailUnschedulableAsync(sweepId, reason, ct);
        logger.LogError("Sweep {Sweep}: {Count} trials are unschedulable: {Reason}", sweepId, failed, reason);
    }

    /// <summary>Why no live worker can ever run this sweep's trials, or null. No workers at all is waiting, not impossible.</summary>
    public static string? Unschedulable(SweepRow sweep, ClusterCapacity capacity)
    {
        if (capacity.Workers == 0 || sweep.GpusPerTrial <= 0) return null;
        if (capacity.Gpus == 0)
            return $"each trial asks for {sweep.GpusPerTrial:G3} GPU(s), but none of the {capacity.Workers} live worker(s) has a CUDA device";
        if (sweep.GpusPerTrial > 1)
            return $"each trial asks for {sweep.GpusPerTrial:G3} GPUs, but a trial trains on one device; ask for at most 1 " +
                   "(or a fraction, with workers started with --slots-per-gpu)";
        return null;
    }
}
