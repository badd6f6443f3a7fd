using Experiments.Contracts;
using Experiments.Contracts.Cluster;

namespace Experiments.Worker.Tests.Support;

/// <summary>
/// A sweep's coordinator as a worker's trials see it, which starts nothing: it lets every epoch go on and records each
/// trial end it is told of, with the worker's free slots at that moment.
/// </summary>
internal sealed class ListeningCoordinator : ISweepCoordination
{
    private readonly List<(TrialEnded Ended, int FreeSlots)> _told = [];

    /// <summary>The first trial end told.</summary>
    public TaskCompletionSource<TrialEnded> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once this many ends were told (<see cref="ExpectEnds"/>).</summary>
    public TaskCompletionSource AllEnded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ExpectEnds { get; init; } = 1;

    /// <summary>The worker's free slots, read when an end is told; -1 until set.</summary>
    public Func<int> FreeSlots { get; set; } = () => -1;

    /// <summary>The worker's free slots when the first end was told; -1 before.</summary>
    public int FreeSlotsWhenTold => Told is { Count: > 0 } told ? told[0].FreeSlots : -1;

    /// <summary>Every trial end told, in order, with the worker's free slots at that moment.</summary>
    public IReadOnlyList<(TrialEnded Ended, int FreeSlots)> Told
    {
        get
        {
            lock (_told) return [.. _told];
        }
    }

    public Task<EpochVerdict> EpochRecordedAsync(EpochReport report, CancellationToken ct) => Task.FromResult(EpochVerdict.Continue("go on"));

    public Task TrialEndedAsync(TrialEnded ended, CancellationToken ct)
    {
        int count;
        lock (_told)
        {
            _told.Add((ended, FreeSlots()));
            count = _told.Count;
        }
        Ended.TrySetResult(ended);
        if (count >= ExpectEnds) AllEnded.TrySetResult();
        return Task.CompletedTask;
    }
}
