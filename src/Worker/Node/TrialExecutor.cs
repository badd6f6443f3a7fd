using System.Collections.Concurrent;
using Experiments.Contracts;
using Experiments.Store;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Experiments.Worker.Node;

/// <summary>
/// The worker's slots. A RunTrial message waits briefly for a free slot (else goes back to the bus), claims the trial
/// in PostgreSQL, starts it on a thread of its own and returns, so the message is acknowledged within moments however long the trial runs: RabbitMQ's
/// consumer timeout never sees a trial, and a dead worker's trials come back through their expired leases
/// (docs/cluster.md, "Why leases").
/// </summary>
public sealed class TrialExecutor(
    ResultsStore store, WorkerOptions options, SlotPlan slots, SweepTrialRun runner, IBus bus, ILogger<TrialExecutor> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _free = new(slots.Slots, slots.Slots);
    // Which slot (and so which device, see SlotPlan.DeviceFor) a starting trial takes; one per semaphore count.
    private readonly ConcurrentQueue<int> _freeSlotIndices = new(Enumerable.Range(0, slots.Slots));
    private readonly ConcurrentDictionary<long, Running> _running = new();
    private readonly CancellationTokenSource _stopping = new();

    public SlotPlan Slots => slots;
    public string Name => options.Name;
    public IReadOnlyList<long> RunningTrials => [.. _running.Keys.Order()];

    /// <summary>The running trials with the attempt each was claimed as: what the heartbeat renews, fenced.</summary>
    public IReadOnlyList<TrialAttempt> RunningAttempts => [.. _running.Values.Select(r => r.Claim.Owner).OrderBy(a => a.TrialId)];
    public int FreeSlots => _free.CurrentCount;

    /// <summary>
    /// How long a RunTrial message waits here for a slot before it is handed back to the bus. The coordinator publishes
    /// only into free slots, but the broker does not know which worker has them (each worker acknowledges a message as
    /// soon as its trial starts), so a message can land on a busy worker; waiting there for a whole trial would leave
    /// the free worker idle. The short wait covers a slot that is being released as its trial's TrialEnded goes out.
    /// </summary>
    public static readonly TimeSpan HandBackAfter = TimeSpan.FromSeconds(2);

    public async Task AcceptAsync(RunTrial message, CancellationToken ct)
    {
        if (_running.ContainsKey(message.TrialId)) return; // a duplicate of a trial this worker already runs
        if (message.GpusPerTrial > 0 && slots.Gpus == 0)
        {
            // A GPU trial on a CPU-only worker: pass it on for a GPU worker (the coordinator dispatches GPU trials only
            // while one is live). The pause keeps two CPU-only workers from bouncing it between them at full speed.
            await Task.Delay(HandBackAfter, ct);
            await BusResilience.RunAsync(token => bus.Publish(message, token), ct);
            return;
        }
        if (!await _free.WaitAsync(HandBackAfter, ct))
        {
            // Busy: publish it again for a worker with a free slot (a stale copy is dropped by the claim).
            await BusResilience.RunAsync(token => bus.Publish(message, token), ct);
            return;
        }
        TrialClaim? claim;
        try
        {
            claim = _stopping.IsCancellationRequested ? null : await store.ClaimTrialAsync(message.TrialId, options.Name, options.Lease, slots.Gpus, ct);
        }
        catch
        {
            _free.Release();
            throw;
        }
        if (claim is null)
        {
            _free.Release(); // someone else has it, or it no longer needs running
            return;
        }
        _freeSlotIndices.TryDequeue(out var slot);
        var running = new Running(claim, slot, CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
        _running[claim.TrialId] = running;
        logger.LogInformation("Trial {Trial} ({Label}) started, attempt {Attempt} ({AttemptInBudget} of {MaxAttempts} allowed)",
            claim.TrialId, claim.Label, claim.Attempt, claim.AttemptInBudget, claim.MaxAttempts);
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
            // refused its write, so it stops here and writes nothing more, neither an end nor a TrialEnded.
            running.Reason = StopReason.LeaseLost;
            outcome = new AttemptOutcome(TrialStatus.Failed, null);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Trial {Trial} failed", claim.TrialId);
            outcome = new AttemptOutcome(TrialStatus.Failed, e.Message);
        }
        if (running.Reason == StopReason.LeaseLost)
        {
            logger.LogWarning("Trial {Trial} attempt {Attempt} was taken back from this worker (its lease ran out); stopped it without recording anything",
                claim.TrialId, claim.Attempt);
            Release(running);
            return;
        }
        try
        {
            // The store may record another status than the worker saw (a user's cancel wins over an interrupted attempt);
            // what it wrote is what everyone is told.
            if (await store.EndAttemptAsync(claim.Owner, options.Name, outcome.Status, outcome.Message, CancellationToken.None) is { } written
                && written != outcome.Status && written != TrialStatus.Queued)
                outcome = new AttemptOutcome(written, written == TrialStatus.Cancelled ? "cancelled by the user" : outcome.Message);
            ExperimentsTelemetry.TrialsEnded.Add(1, new KeyValuePair<string, object?>("status", outcome.Status.ToText()));
            runner.Progress.Ended(claim.TrialId, outcome.Status, outcome.Message);
            logger.LogInformation("Trial {Trial} ended {Status}{Message}", claim.TrialId, outcome.Status.ToText(), outcome.Message is null ? "" : ": " + outcome.Message);
            if (claim.SweepId is { } sweepId)
                await BusResilience.RunAsync(token => bus.Publish(new TrialEnded(sweepId, claim.TrialId, outcome.Status.ToText(), options.Name), token), CancellationToken.None);
        }
        catch (Exception e)
        {
            // The row stays running; its lease runs out and a coordinator re-queues it. Nothing is lost.
            logger.LogError(e, "Could not record the end of trial {Trial}", claim.TrialId);
        }
        finally
        {
            Release(running);
        }
    }

    private void Release(Running running)
    {
        _running.TryRemove(running.Claim.TrialId, out _);
        running.Cancellation.Dispose();
        _freeSlotIndices.Enqueue(running.Slot);
        _free.Release();
    }

    /// <summary>Stops every running trial (they go back to the queue, resuming from their last epoch) and waits for them.</summary>
    public async Task StopAllAsync()
    {
        await _stopping.CancelAsync();
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
