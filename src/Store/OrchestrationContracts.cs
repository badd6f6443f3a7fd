namespace Experiments.Store;

/// <summary>Where a sweep is in its life: running until no trial is queued or running, or cancelled by a user.</summary>
public enum SweepStatus { Running, Completed, Cancelled }

/// <summary>
/// A sweep as the coordinator writes it. SpecJson is the validated sweep (with the file's text); the other fields are
/// the ones the coordinator and the workers decide by, kept as columns so SQL can reach them. SnapshotEvery and
/// EarlyStopping are the sweep's rules for its trials (<see cref="SweepRules"/>): which epochs keep their weights, and
/// whether workers ask the coordinator for a verdict after each epoch.
/// </summary>
public sealed record SweepDefinition(
    string Name, string SpecJson, string Dataset, string Metric, bool Maximize, int? MaxConcurrent, int MaxAttempts,
    double GpusPerTrial, string? TraceParent, SweepRules? Rules = null, string Driver = SweepDrivers.Cluster)
{
    /// <summary>The rules recorded with the sweep: as given, or every epoch's weights and no early stopping.</summary>
    public SweepRules RulesOrDefault => Rules ?? SweepRules.KeepEverythingNoEarlyStopping;
}

/// <summary>
/// What a worker needs to know of a sweep to train its trials, read from the sweep's row when it claims one (never from
/// the coordinator, so an unreachable coordinator cannot change them): the weights of every
/// <paramref name="SnapshotEvery"/>th epoch are kept (plus epoch 0, the best and the last), and, when
/// <paramref name="EarlyStopping"/>, the worker asks the coordinator after each epoch whether to go on.
/// </summary>
public sealed record SweepRules(int SnapshotEvery, bool EarlyStopping)
{
    /// <summary>A sweep that keeps every epoch's weights and never stops a trial early.</summary>
    public static SweepRules KeepEverythingNoEarlyStopping { get; } = new(SnapshotPolicy.EveryEpoch.Every, EarlyStopping: false);

    public SnapshotPolicy Snapshots => new(SnapshotEvery);
}

/// <summary>One trial of a new sweep: its definition, its index in the expanded sweep and a human-readable label.</summary>
public sealed record QueuedTrial(TrialDefinition Definition, int Index, string Label);

/// <summary>
/// A trial a worker now owns (see <see cref="ResultsStore.ClaimTrialAsync"/>). Attempt is the trial's attempts after
/// this claim: every start it ever had, never reset, and the fencing token the worker's writes carry (<see cref="Owner"/>).
/// MaxAttempts bounds the attempts since the sweep was last resumed that no fault of a worker's environment ended
/// (<see cref="AttemptInBudget"/>; AttemptsBeforeResume counts the attempts outside that budget). Rules are the sweep's
/// rules as recorded in its row (<see cref="SweepRules"/>); a trial outside a sweep keeps every epoch and never stops early.
/// </summary>
public sealed record TrialClaim(
    long TrialId, long? SweepId, string? Label, int Attempt, int MaxAttempts, string Architecture, string ArchitectureSpec, string Dataset,
    string HyperparametersJson, long Seed, DateTimeOffset QueuedAt, DateTimeOffset StartedAt, string? TraceParent, int AttemptsBeforeResume = 0)
{
    public SweepRules Rules { get; init; } = SweepRules.KeepEverythingNoEarlyStopping;

    /// <summary>The fencing token for this attempt's writes: the trial and the attempt it was claimed as.</summary>
    public TrialAttempt Owner => new(TrialId, Attempt);

    /// <summary>This attempt's number within the budget that <c>sweep resume</c> last renewed: 1 … MaxAttempts.</summary>
    public int AttemptInBudget => Attempt - AttemptsBeforeResume;
}

/// <summary>
/// One attempt at a trial: the trial and its attempts count when the attempt was claimed. Every write a worker makes
/// for the trial carries it, and the store refuses it (<see cref="TrialFencedException"/>) once the trial is no longer
/// running as that attempt: taken back after the lease ran out, re-queued by <c>sweep resume</c>, or claimed again.
/// </summary>
public sealed record TrialAttempt(long TrialId, int Attempt);

/// <summary>
/// A write for <see cref="Attempt"/> was refused because that attempt no longer owns its trial: a worker that was
/// frozen or partitioned past its lease, and whose trial was taken back, wakes up and must write nothing more.
/// Nothing was written. The worker stops the attempt without recording anything.
/// </summary>
public sealed class TrialFencedException(TrialAttempt attempt, string now)
    : Exception($"trial {attempt.TrialId}'s attempt {attempt.Attempt} no longer owns it ({now}); nothing was written")
{
    public TrialAttempt Attempt { get; } = attempt;
}

/// <summary>
/// An epoch write waited longer than the store's lock or statement timeout (<see cref="ResultsStoreOptions.EpochWriteLockTimeout"/>,
/// <see cref="ResultsStoreOptions.EpochWriteStatementTimeout"/>): another transaction held the trial's rows, e.g. a
/// writer frozen in the middle of its own write. Nothing was written. Not retried by the store.
/// </summary>
public sealed class EpochWriteTimeoutException(string message, Exception cause) : Exception(message, cause);

/// <summary>
/// Who drives a sweep (sweeps.driver): the cluster's silos, or the one process that runs it on this machine. Coordinators
/// and workers take only the sweeps their driver drives, so an in-process sweep never runs on a cluster sharing its
/// database, nor a cluster's sweep in someone's `sweep run`.
/// </summary>
public static class SweepDrivers
{
    /// <summary>The cluster of `experiments silo` processes on the sweep's database.</summary>
    public const string Cluster = "cluster";

    /// <summary>The process whose in-process silo runs the sweep, named by its worker (unique per process: host/pid).</summary>
    public static string InProcess(string workerName) => "process:" + workerName;
}

/// <summary>A sweep with its trials counted by status.</summary>
public sealed record SweepRow(
    long Id, string Name, SweepStatus Status, string? Dataset, string Metric, bool Maximize, int? MaxConcurrent, int MaxAttempts,
    double GpusPerTrial, string? TraceParent, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt,
    IReadOnlyDictionary<TrialStatus, int> TrialsByStatus)
{
    public int TrialCount => TrialsByStatus.Values.Sum();
    public int Count(TrialStatus status) => TrialsByStatus.GetValueOrDefault(status);
    public int Unfinished => Count(TrialStatus.Queued) + Count(TrialStatus.Running);

    /// <summary>Who drives the sweep (<see cref="SweepDrivers"/>).</summary>
    public string Driver { get; init; } = SweepDrivers.Cluster;
}

/// <summary>
/// One trial's line in <c>sweep status</c>: where it runs, its last heartbeat and how far it got. Attempts counts every
/// start the trial ever had; AttemptsBeforeResume those before the sweep was last resumed, and EnvironmentFaults those
/// since then that a fault of their worker's environment ended, so Attempts − AttemptsBeforeResume − EnvironmentFaults
/// is what its max_attempts budget has used. BestMetric is the sweep's metric at BestEpoch, the trial's best trained
/// epoch as the store keeps it (<c>trials.best_metric_value</c>, <c>trials.best_metric_epoch</c>: finite values only, the earliest of
/// equals); both null while no trained epoch has a finite value.
/// </summary>
public sealed record SweepTrialRow(
    long TrialId, int? Index, string? Label, TrialStatus Status, int Attempts, string? Worker, DateTimeOffset? HeartbeatAt,
    int EpochsRecorded, int PlannedEpochs, double? BestMetric, string? Error)
{
    public int AttemptsBeforeResume { get; init; }

    public int EnvironmentFaults { get; init; }

    /// <summary>The trained epoch (1, 2, …) whose value is <see cref="BestMetric"/>; null with it.</summary>
    public int? BestEpoch { get; init; }

    /// <summary>The attempts its max_attempts budget has used.</summary>
    public int AttemptsInBudget => Attempts - AttemptsBeforeResume - EnvironmentFaults;
}

/// <summary>
/// A live worker that stopped claiming trials after a fault of its environment: its name (host/pid), host, the fault, and
/// its last heartbeat.
/// </summary>
public sealed record QuarantinedWorker(string Worker, string Host, string Fault, DateTimeOffset LastHeartbeat);

/// <summary>
/// What a worker reports every heartbeat. RunningTrials are the attempts whose leases it renews: a lease is renewed only
/// while its trial is still running as that attempt, under this worker. Quarantined says why the worker claims no more
/// trials (a fault of its environment), or is null while it is healthy.
/// </summary>
public sealed record WorkerHeartbeat(string Worker, string Host, int Slots, int Gpus, int ThreadsPerSlot, IReadOnlyList<TrialAttempt> RunningTrials,
    string? Quarantined = null);

/// <summary>The answer to a heartbeat: running trials a user asked to cancel, and trials this worker no longer owns.</summary>
public sealed record HeartbeatReply(IReadOnlySet<long> CancelRequested, IReadOnlySet<long> Lost);

/// <summary>What live workers offer, summed: slots, GPUs, and slots busy right now.</summary>
public sealed record ClusterCapacity(int Workers, int Slots, int Gpus, int BusySlots);

/// <summary>What a coordinator's re-drive pass changed: trials back in the queue, out of attempts, or whose sweep a user cancelled.</summary>
public sealed record RedriveResult(IReadOnlyList<long> Requeued, IReadOnlyList<long> Failed, IReadOnlyList<long> Cancelled)
{
    /// <summary>The sweeps those trials belong to, ascending: whose coordinators have something to do now.</summary>
    public IReadOnlyList<long> Sweeps { get; init; } = [];
}

/// <summary>
/// What <c>sweep resume</c> did: trials re-queued, and running trials left to the worker that holds their lease
/// (the last of those leases runs out at <paramref name="LeasedUntil"/>).
/// </summary>
public sealed record SweepResumption(int Requeued, int StillLeased, DateTimeOffset? LeasedUntil);

/// <summary>Text forms of <see cref="SweepStatus"/> as stored in sweeps.status.</summary>
public static class SweepStatusText
{
    public static string ToText(this SweepStatus status) => status.ToString().ToLowerInvariant();

    public static SweepStatus Parse(string text) => text switch
    {
        "running" => SweepStatus.Running,
        "completed" => SweepStatus.Completed,
        "cancelled" => SweepStatus.Cancelled,
        _ => throw new FormatException($"Unknown sweep status '{text}'."),
    };
}
