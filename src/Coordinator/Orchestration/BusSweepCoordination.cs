using System.Collections.Concurrent;
using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Experiments.Store;
using MassTransit;

namespace Experiments.Coordinator.Orchestration;

/// <summary>
/// <see cref="ISweepCoordination"/> for a worker of the MassTransit cluster (`experiments silo`), which has no coordinator
/// to ask: the sweep's rules are applied in the worker's own process, and TrialEnded is published on the bus.
/// </summary>
public sealed class BusSweepCoordination(ResultsStore store, IBus bus) : ISweepCoordination
{
    private readonly ConcurrentDictionary<long, Task<SweepJudge?>> _judges = new();

    public async Task<SweepRules> RulesAsync(long sweepId, CancellationToken ct) =>
        (await JudgeOf(sweepId, ct))?.Rules ?? SweepJudge.NoRules;

    public async Task<EpochVerdict> EpochRecordedAsync(EpochReport report, CancellationToken ct) =>
        await JudgeOf(report.SweepId, ct) is { } judge ? await judge.JudgeAsync(store, report, ct) : EpochVerdict.Continue("the sweep is gone");

    public Task TrialEndedAsync(TrialEnded ended, CancellationToken ct) =>
        BusResilience.RunAsync(token => bus.Publish(ended, token), ct).AsTask();

    private Task<SweepJudge?> JudgeOf(long sweepId, CancellationToken ct)
    {
        var judge = _judges.GetOrAdd(sweepId, id => SweepJudge.LoadAsync(store, id, ct));
        // A failed read (the database away past its budget) is not kept: the next trial asks again.
        if (judge.IsFaulted || judge.IsCanceled) _judges.TryRemove(new KeyValuePair<long, Task<SweepJudge?>>(sweepId, judge));
        return judge;
    }
}
