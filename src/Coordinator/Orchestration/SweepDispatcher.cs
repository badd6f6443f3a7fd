using Experiments.Contracts;
using Experiments.Store;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Experiments.Coordinator.Orchestration;

/// <summary>
/// The coordinator's loop, run at start, on every TrialEnded/SweepQueued message and every poll interval:
/// take back trials whose worker died (lease expired), publish queued trials into free slots (respecting each sweep's
/// max_concurrent), fail requests no live worker can satisfy, and close sweeps with nothing left to run.
/// Everything it knows comes from PostgreSQL, so a restarted coordinator, or several at once, pick up where any left off.
/// </summary>
public sealed class SweepDispatcher(ResultsStore store, IBus bus, CoordinatorOptions options, ILogger<SweepDispatcher> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private volatile IReadOnlyDictionary<TrialStatus, int> _lastSeen = new Dictionary<TrialStatus, int>();

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        ExperimentsTelemetry.ObserveTrials(() => _lastSeen.Select(kv =>
            new System.Diagnostics.Metrics.Measurement<int>(kv.Value, new KeyValuePair<string, object?>("status", kv.Key.ToText()))));
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Run a pass now rather than at the next poll.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Coordinator pass failed; retrying at the next poll");
            }
            try
            {
                await _wake.WaitAsync(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task PassAsync(CancellationToken ct)
    {
        // The first call waits out a database outage, if there is one; after it, DatabaseRecoveredAt says whether there was.
        var capacity = await store.CapacityAsync(options.WorkerLiveWithin, ct);
        await ReclaimExpiredLeasesAsync(store, options, logger, ct);
        var seen = new Dictionary<TrialStatus, int>();
        var free = capacity.Slots - await store.InFlightAsync(options.RedispatchAfter, ct);
        foreach (var sweepId in await store.RunningSweepsAsync(ct))
        {
            var sweep = await store.GetSweepAsync(sweepId, ct);
            if (sweep is null) continue;
            foreach (var (status, count) in sweep.TrialsByStatus) seen[status] = seen.GetValueOrDefault(status) + count;
            if (sweep.Count(TrialStatus.Queued) == 0) continue;
            if (Unschedulable(sweep, capacity) is { } reason)
            {
                // Never run a trial where its request cannot be met; after the grace period (for workers still starting) say so.
                if (DateTimeOffset.UtcNow - _started <= options.SchedulingGrace) continue;
                await FailUnschedulableAsync(store, sweepId, reason, logger, ct);
                continue;
            }
            if (free <= 0) continue;
            var trials = await store.DispatchAsync(sweepId, free, options.RedispatchAfter, ct);
            free -= trials.Count;
            foreach (var trialId in trials) await BusResilience.RunAsync(token => bus.Publish(new RunTrial(sweepId, trialId, sweep.GpusPerTrial), token), ct);
        }
        _lastSeen = seen;
        foreach (var done in await store.CompleteFinishedSweepsAsync(ct))
            logger.LogInformation("Sweep {Sweep} completed", done);
    }

    /// <summary>
    /// Takes back trials whose leases ran out, unless the database has just come back: nobody could heartbeat while it
    /// was away, so leases that ran out meanwhile say nothing about the workers; they get the time a live worker takes
    /// to beat again first.
    /// </summary>
    internal static async Task ReclaimExpiredLeasesAsync(ResultsStore store, CoordinatorOptions options, ILogger logger, CancellationToken ct)
    {
        if (store.DatabaseRecoveredAt is { } recovered && DateTimeOffset.UtcNow - recovered < options.WorkerLiveWithin) return;
        var redriven = await store.ReclaimExpiredAsync(ct);
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

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}

/// <summary>A trial ended somewhere: a slot is free, so dispatch now.</summary>
public sealed class TrialEndedConsumer(SweepDispatcher dispatcher) : IConsumer<TrialEnded>
{
    public Task Consume(ConsumeContext<TrialEnded> context)
    {
        dispatcher.Wake();
        return Task.CompletedTask;
    }
}

/// <summary>A sweep was submitted or resumed: dispatch now.</summary>
public sealed class SweepQueuedConsumer(SweepDispatcher dispatcher) : IConsumer<SweepQueued>
{
    public Task Consume(ConsumeContext<SweepQueued> context)
    {
        dispatcher.Wake();
        return Task.CompletedTask;
    }
}
