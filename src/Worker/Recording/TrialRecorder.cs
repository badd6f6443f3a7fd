using System.Runtime.ExceptionServices;
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
/// <para>
/// <b>Pipelined</b> (<see cref="Pipelined"/>; what workers and <c>train</c> use), the epoch's snapshot is copied out of the
/// engine on the training thread and the write (artifacts, COPY, commit) runs on the thread pool while the next epoch
/// trains. At most one write is in flight: the next epoch's hand-off waits for the previous write to commit. A write
/// that fails (refused by fencing, timed out, the store gone) cancels <see cref="WriteFailed"/>, which the caller links
/// into the trainer's cancellation so training stops at its next batch chunk; every later hand-off rethrows the failure
/// without writing, and so does <see cref="Flush"/>. A process killed mid-pipeline loses at most the epoch whose write
/// had not committed: the older epochs, and the optimizer state of the latest of them, are committed, so a resume
/// restarts from there exactly. Callers train through <see cref="Record"/> (or <see cref="Flush"/>) before marking the trial ended, so a trial is never
/// marked completed before its last epoch commits. Unpipelined, each hand-off returns only after its write commits.
/// </para>
/// </summary>
public sealed class TrialRecorder : ITrainingObserver
{
    private readonly ResultsStore _store;
    private readonly long _trialId;
    private readonly TrialAttempt? _owner;
    private readonly CancellationToken _cancellation;
    private readonly SnapshotPolicy _snapshots;
    private readonly CancellationTokenSource _writeFailed = new();
    private Task _inFlight = Task.CompletedTask;
    private ExceptionDispatchInfo? _failure;
    private long _writeTicks;

    /// <summary>Records as <paramref name="owner"/>, fenced (what workers and <c>train</c> use).</summary>
    /// <param name="snapshots">Which epochs keep their weights; every epoch when null.</param>
    public TrialRecorder(ResultsStore store, TrialAttempt owner, CancellationToken cancellation = default, SnapshotPolicy? snapshots = null)
        : this(store, owner.TrialId, cancellation, snapshots) => _owner = owner;

    /// <summary>Records for a trial no attempt owns (a test fixture, an import): unfenced.</summary>
    /// <param name="snapshots">Which epochs keep their weights; every epoch when null.</param>
    public TrialRecorder(ResultsStore store, long trialId, CancellationToken cancellation = default, SnapshotPolicy? snapshots = null) =>
        (_store, _trialId, _cancellation, _snapshots) = (store, trialId, cancellation, snapshots ?? SnapshotPolicy.EveryEpoch);

    /// <summary>Whether an epoch's write overlaps the next epoch's training (see the class summary). Off by default.</summary>
    public bool Pipelined { get; init; }

    /// <summary>
    /// Called after each epoch's write commits, with that epoch's metrics (not for an epoch that was not written): on the
    /// writer's thread when pipelined, so the next write waits for it. What must see the epoch in the store (an
    /// early-stopping verdict) goes here.
    /// </summary>
    public Action<EpochMetrics>? Committed { get; init; }

    /// <summary>
    /// When it returns true after the previous write committed, the epoch just handed off is not written: the trial was
    /// stopped on the previous epoch's verdict, so unpipelined this epoch would never have trained.
    /// </summary>
    public Func<bool>? StopWriting { get; init; }

    /// <summary>Whether <see cref="StopWriting"/> held back an epoch (and so every later one).</summary>
    public bool StoppedWriting { get; private set; }

    /// <summary>Cancelled once a write failed; link it into the trainer's cancellation so training stops at once.</summary>
    public CancellationToken WriteFailed => _writeFailed.Token;

    /// <summary>Time spent writing (artifacts, COPY, commit), on whichever thread wrote.</summary>
    public TimeSpan WriteTime => TimeSpan.FromTicks(Interlocked.Read(ref _writeTicks));

    /// <summary>Wall time the training thread spent in hand-offs: capturing the snapshot and waiting for the previous write.</summary>
    public TimeSpan HandOffTime { get; private set; }

    public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // A diverged epoch keeps its figures (the non-finite loss is the record of the divergence) but no snapshot:
        // its weights are not finite, and nothing should resume from or draw them.
        var snapshot = metrics.Diverged ? [] : Snapshots.Capture(model, optimizer);
        try
        {
            // Backpressure: at most one write in flight, and epochs commit in order.
            WaitForPreviousWrite();
            _failure?.Throw();
            if (StoppedWriting || StopWriting?.Invoke() == true)
            {
                StoppedWriting = true;
                return;
            }
            var write = WriteAsync(metrics, snapshot);
            if (Pipelined) _inFlight = write;
            else write.GetAwaiter().GetResult();
            _failure?.Throw();
        }
        finally
        {
            HandOffTime += clock.Elapsed;
        }
    }

    /// <summary>
    /// Runs <paramref name="training"/> (a <see cref="Trainer.Run"/> observed by this recorder) and settles the write it
    /// left in flight, so the caller marks the trial ended only after its last epoch's write finished, never while that
    /// write still runs. When training throws, its exception propagates once the write in flight is over (that write's
    /// own failure, if any, is dropped: the training's exception is the one that ended the trial). When training
    /// returns, the last write must commit: a failed write's exception is rethrown (a <see cref="TrialFencedException"/>
    /// when the trial was taken back; an <see cref="OperationCanceledException"/> when the write was cancelled).
    /// </summary>
    public TrainingResult Record(Func<TrainingResult> training)
    {
        TrainingResult result;
        try
        {
            result = training();
        }
        catch
        {
            WaitForPreviousWrite();
            throw;
        }
        Flush();
        return result;
    }

    /// <summary>
    /// Waits for the write in flight, if any, and rethrows a failed write's exception (a <see cref="TrialFencedException"/>
    /// when the trial was taken back; an <see cref="OperationCanceledException"/> when the write was cancelled).
    /// </summary>
    public void Flush()
    {
        WaitForPreviousWrite();
        _failure?.Throw();
    }

    private void WaitForPreviousWrite()
    {
        try
        {
            _inFlight.GetAwaiter().GetResult();
        }
        catch
        {
            // Already kept in _failure by the write itself.
        }
        _inFlight = Task.CompletedTask;
    }

    private async Task WriteAsync(EpochMetrics metrics, IReadOnlyList<TensorSnapshot> snapshot)
    {
        if (Pipelined) await Task.Yield(); // off the training thread from here on
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var (record, artifacts) = (Snapshots.ToRecord(metrics), metrics.Diverged ? [] : Artifacts(metrics));
            await (_owner is { } owner
                ? _store.WriteEpochAsync(owner, record, snapshot, artifacts, _snapshots, _cancellation)
                : _store.WriteEpochAsync(_trialId, record, snapshot, artifacts, _snapshots, _cancellation));
            Interlocked.Add(ref _writeTicks, clock.Elapsed.Ticks);
            Committed?.Invoke(metrics);
        }
        catch (Exception e)
        {
            _failure ??= ExceptionDispatchInfo.Capture(e);
            await _writeFailed.CancelAsync();
        }
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
