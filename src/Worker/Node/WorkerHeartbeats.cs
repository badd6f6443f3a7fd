using Experiments.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Experiments.Worker.Node;

/// <summary>
/// Registers the worker and heartbeats into PostgreSQL: each beat renews the leases of the trials it runs, and the
/// reply stops trials a user cancelled or that a coordinator took back. On shutdown, running trials are handed back.
/// </summary>
public sealed class WorkerHeartbeats(ResultsStore store, TrialExecutor executor, WorkerOptions options, ILogger<WorkerHeartbeats> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Contracts.ExperimentsTelemetry.ObserveSlots(() => executor.Slots.Slots - executor.FreeSlots, () => executor.FreeSlots);
        using var timer = new PeriodicTimer(options.HeartbeatInterval);
        do
        {
            try
            {
                await BeatAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A missed beat is survivable: the lease is several beats long.
                logger.LogWarning(e, "Heartbeat failed");
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public Task BeatAsync(CancellationToken ct) => executor.HeartbeatAsync(ct);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await executor.StopAllAsync();
        try
        {
            await store.WorkerStoppedAsync(options.Name, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not record that worker {Worker} stopped", options.Name);
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
