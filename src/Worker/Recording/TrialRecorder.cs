using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Training;

namespace Experiments.Worker.Recording;

/// <summary>
/// Writes every completed epoch of one trial to the results store: its metrics and its full snapshot, in one
/// transaction keyed by (trial, epoch), so a retried write is a no-op and a killed process leaves no partial epoch.
/// The epoch that diverged is written with its figures only. Each write retires the older snapshots that
/// <c>snapshots</c> does not keep (default: every epoch's weights; the optimizer state of the latest only).
/// Constructed with the attempt that owns the trial, every write is fenced: once the trial is taken back from that
/// attempt, the write throws <see cref="TrialFencedException"/>.
/// </summary>
public sealed class TrialRecorder : ITrainingObserver
{
    private readonly ResultsStore _store;
    private readonly long _trialId;
    private readonly TrialAttempt? _owner;
    private readonly CancellationToken _cancellation;
    private readonly SnapshotPolicy _snapshots;

    /// <summary>Records as <paramref name="owner"/>, fenced (what workers and <c>train</c> use).</summary>
    /// <param name="snapshots">Which epochs keep their weights; every epoch when null.</param>
    public TrialRecorder(ResultsStore store, TrialAttempt owner, CancellationToken cancellation = default, SnapshotPolicy? snapshots = null)
        : this(store, owner.TrialId, cancellation, snapshots) => _owner = owner;

    /// <summary>Records for a trial no attempt owns (a test fixture, an import): unfenced.</summary>
    /// <param name="snapshots">Which epochs keep their weights; every epoch when null.</param>
    public TrialRecorder(ResultsStore store, long trialId, CancellationToken cancellation = default, SnapshotPolicy? snapshots = null) =>
        (_store, _trialId, _cancellation, _snapshots) = (store, trialId, cancellation, snapshots ?? SnapshotPolicy.EveryEpoch);

    public TimeSpan WriteTime { get; private set; }

    public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // A diverged epoch keeps its figures (the non-finite loss is the record of the divergence) but no snapshot:
        // its weights are not finite, and nothing should resume from or draw them.
        var snapshot = metrics.Diverged ? [] : Snapshots.Capture(model, optimizer);
        var (record, artifacts) = (Snapshots.ToRecord(metrics), metrics.Diverged ? [] : Artifacts(metrics));
        (_owner is { } owner
                ? _store.WriteEpochAsync(owner, record, snapshot, artifacts, _snapshots, _cancellation)
                : _store.WriteEpochAsync(_trialId, record, snapshot, artifacts, _snapshots, _cancellation))
            .GetAwaiter().GetResult();
        WriteTime += clock.Elapsed;
    }

    /// <summary>Kind of the per-split artifact holding the confusion matrix, per-class and macro figures, ROC and AUC.</summary>
    public const string ClassificationKind = "classification";

    private static IReadOnlyList<EpochArtifact> Artifacts(EpochMetrics metrics) =>
        metrics.Predictions
            .Select(p => new EpochArtifact(p.Split, ClassificationKind, Analysis.SplitEvaluation.FromLogits(p.Logits, p.Labels, p.Classes).ToJson()))
            .ToList();
}

/// <summary>Passes every event to each observer in turn.</summary>
public sealed class CompositeObserver(params ITrainingObserver[] observers) : ITrainingObserver
{
    public void OnEpochStarted(int epoch, long totalBatches) { foreach (var o in observers) o.OnEpochStarted(epoch, totalBatches); }
    public void OnBatches(BatchProgress progress) { foreach (var o in observers) o.OnBatches(progress); }
    public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer) { foreach (var o in observers) o.OnEpochCompleted(metrics, model, optimizer); }
}
