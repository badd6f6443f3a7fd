namespace Experiments.Store;

/// <summary>A trial's life cycle. Stored as lower-case text: queued, running, completed, stopped_early, diverged, failed, cancelled.</summary>
public enum TrialStatus { Queued, Running, Completed, StoppedEarly, Diverged, Failed, Cancelled }

/// <summary>Loss, accuracy and sample count of one split in one epoch.</summary>
public sealed record SplitFigures(double Loss, double Accuracy, int Samples);

/// <summary>One epoch's figures; epoch 0 is the untrained model. A null split was not measured.</summary>
public sealed record EpochRecord(
    int Epoch, double LearningRate, SplitFigures? Train, SplitFigures? Validation, SplitFigures? Test,
    double Seconds, double ImagesPerSecond);

/// <summary>One tensor of a weight snapshot: little-endian, C-contiguous data. DType is "float32" or "int64".</summary>
public sealed record TensorSnapshot(string Name, int[] Shape, string DType, byte[] Data);

/// <summary>
/// A richer measurement of one split at one epoch, stored as jsonb beside the epoch (table epoch_artifacts), e.g. kind
/// "classification": confusion matrix, per-class and macro precision/recall/F1, one-vs-rest ROC and AUC.
/// Split is "train", "val" or "test".
/// </summary>
public sealed record EpochArtifact(string Split, string Kind, string Json);

/// <summary>An artifact as stored, with its epoch.</summary>
public sealed record StoredArtifact(int Epoch, string Split, string Kind, string Json);

/// <summary>What a new trial is. ArchitectureSpec and HyperparametersJson are JSON and are stored as jsonb.</summary>
public sealed record TrialDefinition(
    long? SweepId, string Architecture, string ArchitectureSpec, string Dataset, string HyperparametersJson, long Seed);

/// <summary>
/// What one attempt at a trial trained on and by: the images of each split (after any data limit, validation held out
/// of the limited data), the project's version (git commit, or "unknown") and the host that ran it.
/// </summary>
public sealed record TrainingContext(int TrainImages, int ValidationImages, int TestImages, string CodeVersion, string Host);

/// <summary>A trial's best trained epoch and the ranking metric's value at it, as stored on the trial (migration 0012).</summary>
public sealed record StoredBest(int Epoch, double Value);

/// <summary>
/// A trial with its summary. BestEpoch is the trained epoch (epoch 0, the untrained model, never counts) with the
/// highest validation accuracy (from <c>trial_summary</c>), except in <see cref="ResultsStore.TopAsync"/>, where it is
/// the trained epoch best by the requested metric (<see cref="RankedBy"/>, <see cref="RankedValue"/>) and the
/// accuracies are that epoch's. EpochsRecorded counts epoch 0; <see cref="EpochsTrained"/> does not.
/// </summary>
public sealed record TrialRow(
    long Id, long? SweepId, string Architecture, string Dataset, string HyperparametersJson, long Seed, TrialStatus Status,
    int Attempts, string? Worker, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    int EpochsRecorded, int? BestEpoch, double? BestValAccuracy, double? TestAccuracyAtBest)
{
    /// <summary>Set by TopAsync: the metric the row was ranked by.</summary>
    public string? RankedBy { get; init; }

    /// <summary>Set by TopAsync: the metric's value at <see cref="BestEpoch"/>.</summary>
    public double? RankedValue { get; init; }

    /// <summary>Epochs recorded after epoch 0: those that trained (a diverged one included).</summary>
    public int EpochsTrained { get; init; }

    /// <summary>What the latest attempt trained on and by; null before a trial starts, or for trials recorded before it was kept.</summary>
    public TrainingContext? Context { get; init; }
}

/// <summary>Text forms of <see cref="TrialStatus"/> as stored in trials.status.</summary>
public static class TrialStatusText
{
    public static string ToText(this TrialStatus status) => status switch
    {
        TrialStatus.Queued => "queued",
        TrialStatus.Running => "running",
        TrialStatus.Completed => "completed",
        TrialStatus.StoppedEarly => "stopped_early",
        TrialStatus.Diverged => "diverged",
        TrialStatus.Failed => "failed",
        TrialStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static TrialStatus Parse(string text) => text switch
    {
        "queued" => TrialStatus.Queued,
        "running" => TrialStatus.Running,
        "completed" => TrialStatus.Completed,
        "stopped_early" => TrialStatus.StoppedEarly,
        "diverged" => TrialStatus.Diverged,
        "failed" => TrialStatus.Failed,
        "cancelled" => TrialStatus.Cancelled,
        _ => throw new FormatException($"Unknown trial status '{text}'."),
    };
}
