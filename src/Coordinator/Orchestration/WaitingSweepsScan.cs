using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Experiments.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;

namespace Experiments.Coordinator.Orchestration;

/// <summary>
/// On a cluster's coordinator silo: wakes the coordinator grain of every sweep PostgreSQL says is running and the cluster
/// drives (not one a `sweep run` drives in its own process), at start and then every <see cref="CoordinatorOptions.ScanInterval"/>. PostgreSQL is the source of truth, not a message: a sweep
/// submitted while no silo was up, and one whose coordinator grain died with its silo, are both found this way. A grain
/// already active just runs one more pass; Orleans keeps one activation per sweep however many coordinators scan.
/// </summary>
public sealed class WaitingSweepsScan(ResultsStore store, IGrainFactory grains, CoordinatorOptions options, ILogger<WaitingSweepsScan> logger)
    : BackgroundService
{
    private volatile IReadOnlyDictionary<TrialStatus, int> _lastSeen = new Dictionary<TrialStatus, int>();

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The queue depth and the other trial counts, as of the last scan.
        ExperimentsTelemetry.ObserveTrials(() => _lastSeen.Select(kv =>
            new System.Diagnostics.Metrics.Measurement<int>(kv.Value, new KeyValuePair<string, object?>("status", kv.Key.ToText()))));
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ScanAsync(stoppingToken);
                await Task.Delay(options.ScanInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Could not scan for waiting sweeps ({Reason}); trying again in {Seconds:0} s", ResultsStore.Describe(e), options.ScanInterval.TotalSeconds);
                await Task.Delay(options.ScanInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task ScanAsync(CancellationToken ct)
    {
        var seen = new Dictionary<TrialStatus, int>();
        foreach (var sweepId in await store.RunningSweepsAsync(SweepDrivers.Cluster, ct))
        {
            if (await store.GetSweepAsync(sweepId, ct) is { } sweep)
                foreach (var (status, count) in sweep.TrialsByStatus) seen[status] = seen.GetValueOrDefault(status) + count;
            try
            {
                // A pass can wait on the database; the wake is only a prompt, so it is bounded and not waited out.
                await grains.GetGrain<ISweepCoordinatorGrain>(sweepId).WakeAsync().WaitAsync(options.CallTimeout, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning("Could not wake the coordinator of sweep {Sweep} ({Reason}); trying again at the next scan", sweepId, ResultsStore.Describe(e));
            }
        }
        _lastSeen = seen;
    }
}
