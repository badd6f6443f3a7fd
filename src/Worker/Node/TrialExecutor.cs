using System.Collections.Concurrent;
using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Experiments.Store;
using Microsoft.Extensions.Logging;

namespace Experiments.Worker.Node;

/// <summary>
/// The worker's slots. Starting a trial claims it in PostgreSQL, starts it on a thread of its own and returns, so the
/// caller (a worker grain's turn) is done within moments however long the trial runs; a dead
/// worker's trials come back through their expired leases (docs/cluster.md, "Why leases"). When an attempt ends, the
/// worker claims its sweep's next queued trial for the slot itself, then the sweep's coordinator is told
/// (<see cref="ISweepCoordination"/>), also when the store refused the attempt's writes because the trial was taken
/// back from it: the slot is then free, and the coordinator fills it.
/// </summary>
public sealed class TrialExecutor(
    ResultsStore store, WorkerOptions options, SlotPlan slots, SweepTrialRun runner, ILogger<TrialExecutor> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _free = new(slots.Slots, slots.Slots);
    // Which slot (and so which device, see SlotPlan.DeviceFor) a starting trial takes; one per semaphore count.
    private readonly ConcurrentQueue<int> _freeSlotIndices = new(Enumerable.Range(0, slots.Slots));
    private readonly ConcurrentDictionary<long, Running> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private volatile string? _quarantine;

    public SlotPlan Slots => slots;
    public string Name => options.Name;
    public IReadOnlyList<long> RunningTrials => [.. _running.Keys.Order()];

    /// <summary>The running trials with the attempt each was claimed as: what the heartbeat renews, fenced.</summary>
    public IReadOnlyList<TrialAttempt> RunningAttempts => [.. _running.Values.Select(r => r.Claim.Owner).OrderBy(a => a.TrialId)];
    /// <summary>Slots free for a new trial: none once the worker is quarantined.</summary>
    public int FreeSlots => _quarantine is null ? _free.CurrentCount : 0;

    /// <summary>
    /// Why this worker claims no more trials (a fault of its environment, see <see cref="EnvironmentFaults"/>), or null
    /// while it is healthy. It lasts as long as the process: the worker recovers by being restarted once the fault is fixed.
    /// </summary>
    public string? Quarantine => _quarantine;

    /// <summary>
    /// Claims trial <paramref name="trialId"/> and starts it on a free slot, waiting at most <paramref name="slotWait"/>
    /// for one (zero: not at all). Returns once the trial runs on its slot's thread, or with why it does not.
    /// </summary>
    public async Task<TrialStartResult> TryStartAsync(long trialId, double gpusPerTrial, TimeSpan slotWait, CancellationToken ct)
    {
        if (_running.ContainsKey(trialId)) return TrialStartResult.AlreadyRunningHere;
        if (_quarantine is not null) return TrialStartResult.Quarantined;
        if (gpusPerTrial > 0 && slots.Gpus == 0) return TrialStartResult.NeedsGpu;
        if (!await _free.WaitAsync(slotWait, ct)) return TrialStartResult.NoFreeSlot;
        TrialClaim? claim;
        try
        {
            claim = _stopping.IsCancellationRequested ? null : await store.ClaimTrialAsync(trialId, options.Name, options.Lease, slots.Gpus, options.Driver, ct);
        }
        catch
        {
            _free.Release();
            throw;
        }
        if (claim is null)
        {
            _free.Release(); // someone else has it, or it no longer needs running
            return TrialStartResult.NotClaimed;
        }
        _freeSlotIndices.TryDequeue(out var slot);
        logger.LogInformation("Trial {Trial} ({Label}) started, attempt {Attempt} ({AttemptInBudget} of {MaxAttempts} allowed)",
            claim.TrialId, claim.Label, claim.Attempt, claim.AttemptInBudget, claim.MaxAttempts);
        StartOnSlot(claim, slot);
        return TrialStartResult.Started;
    }

    /// <summary>Runs a claimed trial on <paramref name="slot"/>, whose semaphore count the caller holds.</summary>
    private void StartOnSlot(TrialClaim claim, int slot)
    {
        var running = new Running(claim, slot, CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
        _running[claim.TrialId] = running;
        // On a thread of its own, off the caller's scheduler (a grain's), and without the caller's execution context:
        // a grain call's request context (a placement hint naming this silo) must not ride along on the trial's calls.
        using (ExecutionContext.SuppressFlow())
            running.Task = Task.Factory.StartNew(() => RunAsync(running), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Stops a running trial at the next batch boundary; its recorded epochs are kept.</summary>
    public void Stop(long trialId, StopReason reason)
    {
        if (!_running.TryGetValue(trialId, out var running)) return;
        running.Reason = reason;
        running.Cancellation.Cancel();
    }

    private async Task RunAsync(Running running)
    {
        var claim = running.Claim;
        AttemptOutcome outcome;
        string? environmentFault = null;
        try
        {
            outcome = runner.Run(claim, options.Name, running.Slot, () => running.Reason == StopReason.None && _stopping.IsCancellationRequested ? StopReason.WorkerStopping : running.Reason,
                running.Cancellation.Token);
        }
        catch (Exception e) when (e is OperationCanceledException && running.Cancellation.IsCancellationRequested)
        {
            outcome = new AttemptOutcome(running.Reason == StopReason.CancelledByUser ? TrialStatus.Cancelled : TrialStatus.Failed,
                running.Reason == StopReason.CancelledByUser ? "cancelled by the user" : $"interrupted: worker {options.Name} stopped");
        }
        catch (TrialFencedException)
        {
            // This attempt lost the trial while it ran (frozen or cut off past its lease, then taken back): the store
            // refused its write, so it stops here and writes nothing more for the trial.
            running.Reason = StopReason.LeaseLost;
            outcome = new AttemptOutcome(TrialStatus.Failed, null);
        }
        catch (Exception e) when (options.QuarantinesOnEnvironmentFaults && EnvironmentFaults.Describe(e) is { } fault)
        {
            // This worker's fault, not the trial's: another worker runs it, and this one stops claiming.
            environmentFault = fault;
            outcome = new AttemptOutcome(TrialStatus.Queued, $"worker {options.Name} quarantined itself: {fault}");
            QuarantineThisWorker(fault, claim.TrialId);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Trial {Trial} failed", claim.TrialId);
            outcome = new AttemptOutcome(TrialStatus.Failed, e.Message);
        }
        TrialEnded? ended = null;
        var claimNext = false;
        try
        {
            // The store may record another status than the worker saw (a user's cancel wins over an interrupted attempt);
            // what it wrote is what everyone is told. A taken-back attempt writes nothing, and its end is refused too.
            // The quarantine goes to the database before the trial goes back to the queue, so `sweep status` shows
            // this worker unhealthy by the time anyone sees the trial it gave back; the periodic heartbeat is the backstop.
            if (environmentFault is not null) await ReportQuarantineAsync();
            var written = running.Reason == StopReason.LeaseLost
                ? null
                : environmentFault is not null
                    ? await store.ReturnAfterEnvironmentFaultAsync(claim.Owner, options.Name, outcome.Message!, CancellationToken.None)
                    : await store.EndAttemptAsync(claim.Owner, options.Name, outcome.Status, outcome.Message, CancellationToken.None);
            if (written is null)
            {
                logger.LogWarning("Trial {Trial} attempt {Attempt} was taken back from this worker (its lease ran out); stopped it without recording anything",
                    claim.TrialId, claim.Attempt);
                if (claim.SweepId is { } lostSweep) ended = new TrialEnded(lostSweep, claim.TrialId, TrialEnded.TakenBack, options.Name);
            }
            else
            {
                if (written != outcome.Status && written != TrialStatus.Queued)
                    outcome = new AttemptOutcome(written.Value, written == TrialStatus.Cancelled ? "cancelled by the user" : outcome.Message);
                ExperimentsTelemetry.TrialsEnded.Add(1, new KeyValuePair<string, object?>("status", outcome.Status.ToText()));
                runner.Progress.Ended(claim.TrialId, outcome.Status, outcome.Message);
                logger.LogInformation("Trial {Trial} ended {Status}{Message}", claim.TrialId, outcome.Status.ToText(), outcome.Message is null ? "" : ": " + outcome.Message);
                if (claim.SweepId is { } sweepId) ended = new TrialEnded(sweepId, claim.TrialId, outcome.Status.ToText(), options.Name);
                // A healthy attempt's end frees the slot for the sweep's next trial; after an environment fault this
                // worker is quarantined, and after a lost lease it is in doubt, so those slots wait for a coordinator.
                claimNext = environmentFault is null;
            }
        }
        catch (Exception e)
        {
            // The row stays running; its lease runs out and a coordinator re-queues it. Nothing is lost.
            logger.LogError(e, "Could not record the end of trial {Trial}", claim.TrialId);
        }
        finally
        {
            _running.TryRemove(claim.TrialId, out _);
            running.Cancellation.Dispose();
        }
        // Fill the slot before telling the coordinator, so that its pass finds the slot taken rather than starting
        // another trial there; a slot this worker could not fill is freed first, and that pass fills it.
        if (!(claimNext && await TryClaimNextAsync(claim, running.Slot)))
        {
            _freeSlotIndices.Enqueue(running.Slot);
            _free.Release();
        }
        if (ended is null) return;
        try
        {
            await runner.Coordination.TrialEndedAsync(ended, CancellationToken.None);
        }
        catch (Exception e)
        {
            // Only a prompt is lost: the coordinator's next poll sees the free slot.
            logger.LogWarning(e, "Could not tell the coordinator of sweep {Sweep} that trial {Trial} ended", ended.SweepId, ended.TrialId);
        }
    }

    /// <summary>
    /// Registers this worker and beats once (<see cref="ResultsStore.HeartbeatAsync"/>): its slots, whether it is
    /// quarantined, and the leases of the attempts it runs, renewed fenced by attempt. Stops the trials the reply names:
    /// cancelled by a user, or taken back from this worker.
    /// </summary>
    public async Task HeartbeatAsync(CancellationToken ct)
    {
        var reply = await store.HeartbeatAsync(
            new WorkerHeartbeat(options.Name, BuildInfo.Host, slots.Slots, slots.Gpus, slots.ThreadsPerSlot, RunningAttempts, Quarantine), options.Lease, ct);
        foreach (var id in reply.CancelRequested) Stop(id, StopReason.CancelledByUser);
        foreach (var id in reply.Lost) Stop(id, StopReason.LeaseLost);
    }

    /// <summary>Writes this worker's quarantine to the database now, with an extra heartbeat, rather than at the next periodic one.</summary>
    private async Task ReportQuarantineAsync()
    {
        try
        {
            await HeartbeatAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not record the quarantine of worker {Worker} yet; its next heartbeat carries it ({Reason})", options.Name, ResultsStore.Describe(e));
        }
    }

    /// <summary>Stops claiming trials, once, and says so with the fault and this machine's name.</summary>
    private void QuarantineThisWorker(string fault, long trialId)
    {
        if (Interlocked.CompareExchange(ref _quarantine, fault, null) is not null) return;
        logger.LogError("Worker {Worker} on {Host} is quarantined: {Fault}. It claims no more trials until it is restarted; trial {Trial} goes back " +
                        "to the queue for another worker without using one of its attempts", options.Name, BuildInfo.Host, fault, trialId);
    }

    /// <summary>
    /// Claims the next queued trial of <paramref name="ended"/>'s sweep from PostgreSQL and starts it on the slot
    /// <paramref name="ended"/> leaves, whose semaphore count stays held: the slot goes straight to the next trial instead
    /// of waiting for a round trip through the sweep's coordinator, which on a cluster crosses processes twice
    /// (bench/README.md, "Orchestration"). The claim is the coordinator's own conditional UPDATE (the sweep's driver, its
    /// GPUs, max_concurrent), so nothing is held ahead: a trial is either queued or running. False when there is none
    /// to claim, this worker is quarantined or stopping, or the database did not answer.
    /// </summary>
    private async Task<bool> TryClaimNextAsync(TrialClaim ended, int slot)
    {
        if (ended.SweepId is not { } sweepId || _quarantine is not null || _stopping.IsCancellationRequested) return false;
        TrialClaim? next;
        try
        {
            next = await store.ClaimNextTrialAsync(sweepId, options.Name, options.Lease, slots.Gpus, options.Driver, CoordinatorStartsWithin, CancellationToken.None);
        }
        catch (Exception e)
        {
            // Only a head start is lost: the slot is freed, and the coordinator fills it.
            logger.LogWarning("Could not claim the next trial of sweep {Sweep} after trial {Trial} ({Reason})", sweepId, ended.TrialId, ResultsStore.Describe(e));
            return false;
        }
        if (next is null) return false;
        logger.LogInformation("Trial {Trial} ({Label}) started, attempt {Attempt} ({AttemptInBudget} of {MaxAttempts} allowed), claimed by this worker as trial {Ended} ended",
            next.TrialId, next.Label, next.Attempt, next.AttemptInBudget, next.MaxAttempts, ended.TrialId);
        StartOnSlot(next, slot);
        return true;
    }

    // How long a trial a coordinator picked may take to reach its worker: the coordinator's call timeout. A worker
    // claiming for itself counts such trials as in flight and leaves them to that start.
    private static readonly TimeSpan CoordinatorStartsWithin = TimeSpan.FromSeconds(5);

    /// <summary>Stops every running trial (they go back to the queue, resuming from their last epoch) and waits for them.</summary>
    public async Task StopAllAsync()
    {
        await _stopping.CancelAsync();
        // A trial that ends may have claimed its sweep's next one just before the stop, so wait until none is left.
        while (!_running.IsEmpty)
            await Task.WhenAll(_running.Values.Select(r => r.Task ?? Task.CompletedTask));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync();
        _stopping.Dispose();
        _free.Dispose();
    }

    private sealed class Running(TrialClaim claim, int slot, CancellationTokenSource cancellation)
    {
        public TrialClaim Claim { get; } = claim;
        public int Slot { get; } = slot;
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public volatile StopReason Reason;
        public Task? Task { get; set; }
    }
}
