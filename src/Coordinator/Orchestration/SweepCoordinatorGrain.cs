using Experiments.Contracts.Cluster;
using Experiments.Store;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Experiments.Coordinator.Orchestration;

/// <summary>
/// The coordinator of one sweep on Orleans (<see cref="ISweepCoordinatorGrain"/>; key: the sweep's id). A pass, run
/// when woken, when a trial ends and every <see cref="CoordinatorOptions.PollInterval"/> while the sweep runs: take back
/// trials whose leases ran out, fail requests no live worker can meet, start queued trials on the worker silos that
/// have free slots (each start returns once the worker has claimed the trial), stop the running trials of a cancelled
/// sweep through their workers' grains, and close sweeps with nothing left to run. Everything it decides by is re-read
/// from PostgreSQL; its memory holds only the sweep's rules, read again on activation.
/// </summary>
[CoordinatorPlacement]
public sealed class SweepCoordinatorGrain(ResultsStore store, CoordinatorOptions options, IWorkerSilos workers, ILogger<SweepCoordinatorGrain> logger)
    : Grain, ISweepCoordinatorGrain
{
    private readonly DateTimeOffset _activated = DateTimeOffset.UtcNow;
    private SweepJudge? _judge;
    private IGrainTimer? _poll;

    private long SweepId => this.GetPrimaryKeyLong();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _judge = await SweepJudge.LoadAsync(store, SweepId, cancellationToken);
        // KeepAlive: the timer is what drives a sweep no message wakes (a lost worker, a lease to take back).
        _poll = this.RegisterGrainTimer(PassAsync, new GrainTimerCreationOptions(options.PollInterval, options.PollInterval) { KeepAlive = true });
    }

    public Task WakeAsync() => PassAsync(CancellationToken.None);

    public async Task<EpochVerdict> EpochRecordedAsync(EpochReport report) =>
        _judge is null ? EpochVerdict.Continue("the sweep is gone") : await _judge.JudgeAsync(store, report, CancellationToken.None);

    public Task TrialEndedAsync(Contracts.TrialEnded ended) => PassAsync(CancellationToken.None);

    private async Task PassAsync(CancellationToken ct)
    {
        try
        {
            await SweepPlanning.ReclaimExpiredLeasesAsync(store, options, logger, ct);
            var sweep = await store.GetSweepAsync(SweepId, ct);
            // A sweep another driver runs (a `sweep run` on the cluster's database, or a cluster's sweep seen from a
            // `sweep run`) is none of this coordinator's business: its own driver's coordinator places its trials.
            if (sweep is { Status: SweepStatus.Running } && sweep.Driver == options.Driver) await StartQueuedTrialsAsync(sweep, ct);
            foreach (var done in await store.CompleteFinishedSweepsAsync(ct))
                logger.LogInformation("Sweep {Sweep} completed", done);
            // Last: stopping disposes the poll timer, which cancels ct under this very pass, so nothing may use ct after it.
            if (sweep is not { Status: SweepStatus.Running }) await StopAsync(sweep, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Sweep {Sweep}: coordinator pass failed; retrying at the next poll", SweepId);
        }
    }

    private async Task StartQueuedTrialsAsync(SweepRow sweep, CancellationToken ct)
    {
        if (sweep.Count(TrialStatus.Queued) == 0) return;
        var live = workers.Live();
        var capacity = new ClusterCapacity(live.Count, live.Sum(w => w.Resources.Slots), live.Select(w => w.Resources.Gpus).DefaultIfEmpty(0).Max(), 0);
        if (SweepPlanning.Unschedulable(sweep, capacity) is { } reason)
        {
            // After the grace period (for workers still joining), say so rather than wait forever.
            if (DateTimeOffset.UtcNow - _activated > options.SchedulingGrace) await SweepPlanning.FailUnschedulableAsync(store, SweepId, reason, logger, ct);
            return;
        }
        // Every worker is asked at once, each within the call timeout, so one that does not answer (frozen, dying,
        // partitioned, not yet declared dead) delays this pass by one timeout at most, not one per worker.
        var free = await Task.WhenAll(live.Select(async worker => (Worker: worker, Free: await FreeSlotsAsync(worker, ct))));
        foreach (var (worker, slots) in free.Where(w => w.Free > 0).OrderBy(_ => Random.Shared.Next()))
        {
            try
            {
                if (!await StartOnAsync(worker, slots, sweep, ct)) return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // A trial the worker claimed before the failure is its own (the claim is in PostgreSQL); one it did not
                // claim stays queued for the next pass.
                logger.LogWarning("Sweep {Sweep}: worker silo {Silo} did not take trials ({Reason})", SweepId, worker.Address, ResultsStore.Describe(e));
            }
        }
    }

    /// <summary>The worker's free slots, or 0 when it does not answer within the call timeout.</summary>
    private async Task<int> FreeSlotsAsync(WorkerSilo worker, CancellationToken ct)
    {
        try
        {
            var slots = Worker(worker, out var placement);
            using (placement) return await slots.FreeSlotsAsync().WaitAsync(options.CallTimeout, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("Sweep {Sweep}: worker silo {Silo} did not say its free slots ({Reason})", SweepId, worker.Address, ResultsStore.Describe(e));
            return 0;
        }
    }

    /// <summary>Starts up to <paramref name="free"/> queued trials on <paramref name="worker"/>; false when the sweep has nothing more to start now.</summary>
    private async Task<bool> StartOnAsync(WorkerSilo worker, int free, SweepRow sweep, CancellationToken ct)
    {
        // Each start returns once the worker has claimed the trial (or has said why not), so nothing stays
        // "dispatched" between passes: a trial not started is picked again by the next pass.
        var picked = await store.DispatchAsync(SweepId, free, redispatchAfter: TimeSpan.Zero, ct);
        if (picked.Count == 0) return false; // max_concurrent reached, or nothing left to start
        var slots = Worker(worker, out var placement);
        using (placement)
            foreach (var trialId in picked)
                if (await slots.StartTrialAsync(new StartTrial(SweepId, trialId, sweep.GpusPerTrial)).WaitAsync(options.CallTimeout, ct)
                    is TrialStartResult.NoFreeSlot or TrialStartResult.NeedsGpu or TrialStartResult.Quarantined)
                    break;
        return true;
    }

    /// <summary>
    /// The sweep no longer runs. If a user cancelled it, its running trials stop now, through their workers' grains,
    /// rather than at their next heartbeat; once none runs, the grain stops polling and lets itself be collected.
    /// </summary>
    private async Task StopAsync(SweepRow? sweep, CancellationToken ct)
    {
        var running = sweep is null ? [] : (await store.GetSweepTrialsAsync(SweepId, ct)).Where(t => t.Status == TrialStatus.Running).Select(t => t.TrialId).ToList();
        if (sweep?.Status == SweepStatus.Cancelled && running.Count > 0)
            await CancelOnWorkersAsync(running, ct);
        if (running.Count > 0 || _poll is null) return;
        logger.LogInformation("Sweep {Sweep}: nothing runs any more; its coordinator stops polling", SweepId);
        _poll.Dispose();
        _poll = null;
        this.DeactivateOnIdle();
    }

    /// <summary>Tells every live worker's grain to stop these trials now (a worker not running one ignores it).</summary>
    private async Task CancelOnWorkersAsync(IReadOnlyList<long> trialIds, CancellationToken ct)
    {
        foreach (var worker in workers.Live())
        {
            var slots = Worker(worker, out var placement);
            try
            {
                using (placement) await slots.CancelTrialsAsync(trialIds).WaitAsync(options.CallTimeout, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Its heartbeat stays the backstop: the store's reply to it names the cancelled trials.
                logger.LogWarning("Sweep {Sweep}: could not reach worker silo {Silo} to stop cancelled trials ({Reason})", SweepId, worker.Address, ResultsStore.Describe(e));
            }
        }
    }

    /// <summary>The worker grain of <paramref name="worker"/>, and the placement hint that keeps it on that silo.</summary>
    private ITrialWorkerGrain Worker(WorkerSilo worker, out IDisposable placement)
    {
        placement = WorkerPlacement.PlaceOn(worker.Address);
        return GrainFactory.GetGrain<ITrialWorkerGrain>(worker.Address.ToParsableString());
    }
}
