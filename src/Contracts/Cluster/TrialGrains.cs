using Orleans;

namespace Experiments.Contracts.Cluster;

// The Orleans grains that distribute a sweep. PostgreSQL stays the source of truth: every message says "look at trial
// N", every transition is a conditional UPDATE made by the side that owns it, and a grain re-reads what it needs on
// activation, because its memory can vanish (a directory entry on a silo that died reactivates it empty).

/// <summary>
/// The coordinator of one sweep (key: the sweep's id), on a coordinator silo. It plans: it takes back trials whose
/// worker died, places queued trials on workers with a free slot, fails requests no worker can meet and closes the
/// sweep when nothing is left; it runs a pass when woken and every poll interval while the sweep runs. It also judges
/// each recorded epoch against the sweep's early-stopping rule, so workers need not know the rules.
/// </summary>
public interface ISweepCoordinatorGrain : IGrainWithIntegerKey
{
    /// <summary>The sweep was queued, resumed or cancelled: run a pass now rather than at the next poll.</summary>
    Task WakeAsync();

    /// <summary>
    /// A worker recorded an epoch of one of the sweep's trials: continue or stop (median or ASHA early stopping,
    /// docs/sweeps.md). Decided from the metric histories in PostgreSQL, the reported epoch included.
    /// </summary>
    Task<EpochVerdict> EpochRecordedAsync(EpochReport report);

    /// <summary>An attempt at one of the sweep's trials ended (any outcome): a slot is free, so run a pass.</summary>
    Task TrialEndedAsync(TrialEnded ended);
}

/// <summary>
/// The trial slots of one worker silo (key: the silo's address, <c>SiloAddress.ToParsableString()</c>; the caller places
/// it there with <see cref="WorkerPlacement.PlaceOn"/>). Every call is short: training runs on the worker's slot
/// threads, never inside a grain turn.
/// </summary>
public interface ITrialWorkerGrain : IGrainWithStringKey
{
    /// <summary>Slots free for a trial right now.</summary>
    Task<int> FreeSlotsAsync();

    /// <summary>
    /// Claims the trial in PostgreSQL (a conditional UPDATE) and starts it on a free slot's thread, returning as soon as
    /// the claim is made; never waits for a slot.
    /// </summary>
    Task<TrialStartResult> StartTrialAsync(StartTrial trial);

    /// <summary>
    /// Stops these trials at once, at the next batch, as cancelled by the user (their recorded epochs are kept).
    /// Trials this worker does not run are ignored.
    /// </summary>
    Task CancelTrialsAsync(IReadOnlyList<long> trialIds);
}

/// <summary>Coordinator → worker: claim and run trial <paramref name="TrialId"/> of sweep <paramref name="SweepId"/>.</summary>
[GenerateSerializer, Immutable, Alias("experiments.start-trial")]
public sealed record StartTrial(long SweepId, long TrialId, double GpusPerTrial);

/// <summary>What became of a <see cref="StartTrial"/>.</summary>
[GenerateSerializer, Alias("experiments.trial-start-result")]
public enum TrialStartResult
{
    /// <summary>Claimed: it trains on one of this worker's slots now.</summary>
    Started,
    /// <summary>This worker already runs it.</summary>
    AlreadyRunningHere,
    /// <summary>Every slot is busy; nothing was claimed.</summary>
    NoFreeSlot,
    /// <summary>The trial asks for a GPU and this worker has none; nothing was claimed.</summary>
    NeedsGpu,
    /// <summary>The claim matched nothing: another worker has it, or it no longer needs running (cancelled, finished).</summary>
    NotClaimed,
    /// <summary>This worker quarantined itself after a fault of its environment and claims nothing; nothing was claimed.</summary>
    Quarantined,
}

/// <summary>
/// Worker → coordinator: attempt <paramref name="Attempt"/> of trial <paramref name="TrialId"/> recorded epoch
/// <paramref name="Epoch"/> (1-based; epoch 0 is never reported).
/// </summary>
[GenerateSerializer, Immutable, Alias("experiments.epoch-report")]
public sealed record EpochReport(long SweepId, long TrialId, int Attempt, int Epoch);

/// <summary>Continue or stop, with a sentence naming the numbers that decided it (recorded as the trial's reason when it stops).</summary>
[GenerateSerializer, Immutable, Alias("experiments.epoch-verdict")]
public sealed record EpochVerdict(bool Stop, string Reason)
{
    public static EpochVerdict Continue(string reason) => new(false, reason);
}
