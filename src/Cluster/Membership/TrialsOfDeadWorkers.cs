using Experiments.Contracts.Cluster;
using Experiments.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Experiments.Cluster.Membership;

/// <summary>
/// On a coordinator silo: follows the cluster's membership (<see cref="IClusterMembershipService.MembershipUpdates"/>)
/// and, the moment a worker silo is declared dead, takes back the trials its worker held in PostgreSQL
/// (<see cref="ResultsStore.ReclaimFromDeadWorkerAsync"/>, one conditional UPDATE) and wakes their sweeps' coordinator
/// grains, which place them on live workers. A kill -9 is so noticed in the seconds failure detection takes
/// (docs/cluster.md, "Failure detection") instead of a lease. Leases stay the backstop: for a worker whose name this
/// silo never learnt (it died before its metadata arrived), for a partition, and for a coordinator that was down.
/// </summary>
/// <remarks>
/// A worker's name (trials.worker) travels in its silo metadata (<see cref="SiloResources.WorkerName"/>), which
/// cannot be read from a silo that is already dead, so names are noted while silos are active: on every membership
/// update and, because metadata arrives after the update that shows a silo active, every second too.
/// </remarks>
public sealed class TrialsOfDeadWorkers(
    IClusterMembershipService membership, ISiloMetadataCache metadata, ResultsStore store, IGrainFactory grains, ILogger<TrialsOfDeadWorkers> logger)
    : BackgroundService
{
    private static readonly TimeSpan NotePeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan WakeTimeout = TimeSpan.FromSeconds(5);
    private readonly Dictionary<SiloAddress, string> _workerNames = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var updates = membership.MembershipUpdates.GetAsyncEnumerator(stoppingToken);
        var next = updates.MoveNextAsync().AsTask();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await Task.WhenAny(next, Task.Delay(NotePeriod, stoppingToken)) == next)
                {
                    if (!await next) return;
                    next = updates.MoveNextAsync().AsTask();
                }
                await ActOnAsync(membership.CurrentSnapshot, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The store waits out short outages itself; past that, the leases take the trials back.
                logger.LogWarning("Could not take back a dead worker's trials ({Reason}); their leases will", ResultsStore.Describe(e));
            }
        }
    }

    private async Task ActOnAsync(ClusterMembershipSnapshot snapshot, CancellationToken ct)
    {
        foreach (var member in snapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && !_workerNames.ContainsKey(member.SiloAddress)
                && SiloResources.FromMetadata(metadata.GetSiloMetadata(member.SiloAddress).Metadata).WorkerName is { } name)
                _workerNames[member.SiloAddress] = name;
            else if (member.Status == SiloStatus.Dead && _workerNames.TryGetValue(member.SiloAddress, out var dead))
            {
                await ReclaimAsync(member.SiloAddress, dead, ct);
                _workerNames.Remove(member.SiloAddress); // only once it is done: a failed attempt is repeated next time
            }
        }
    }

    private async Task ReclaimAsync(SiloAddress silo, string worker, CancellationToken ct)
    {
        var taken = await store.ReclaimFromDeadWorkerAsync(worker, ct);
        if (taken.Requeued.Count + taken.Failed.Count + taken.Cancelled.Count == 0) return;
        logger.LogWarning("Silo {Silo} (worker {Worker}) was declared dead: re-queued trials {Requeued}, failed {Failed} (out of attempts), cancelled {Cancelled}",
            silo, worker, taken.Requeued, taken.Failed, taken.Cancelled);
        foreach (var sweepId in taken.Sweeps)
        {
            try
            {
                await grains.GetGrain<ISweepCoordinatorGrain>(sweepId).WakeAsync().WaitAsync(WakeTimeout, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Only a prompt: the sweep's coordinator places the trials at its next poll anyway.
                logger.LogWarning("Could not wake the coordinator of sweep {Sweep} ({Reason})", sweepId, ResultsStore.Describe(e));
            }
        }
    }
}
