using System.Diagnostics;
using Experiments.Architectures;
using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Training;

namespace Experiments.Worker.Node;

/// <summary>Why a running trial was asked to stop before its last epoch.</summary>
public enum StopReason { None, CancelledByUser, LeaseLost, WorkerStopping }

/// <summary>How one attempt ended, as written to the trial's row.</summary>
public sealed record AttemptOutcome(TrialStatus Status, string? Message);

/// <summary>
/// One attempt at a claimed sweep trial, run synchronously on its slot's thread: rebuild the model from the stored
/// definition, resume from the latest stored snapshot (so a trial taken over from a dead worker loses at most the
/// epoch in flight), train and record every epoch by the sweep's rules (read from its row with the claim), and after
/// each one ask the sweep's coordinator whether to go on (when the sweep stops trials early). A verdict that cannot be
/// had is "go on": stopping early only saves time, and the rules themselves never depend on the coordinator.
/// </summary>
public sealed class SweepTrialRun(ResultsStore store, DatasetCache datasets, SlotPlan slots, ITrialProgress progress, ISweepCoordination coordination)
{
    public ITrialProgress Progress => progress;

    public ISweepCoordination Coordination => coordination;

    /// <summary>Whether epoch e is written while e + 1 trains (<see cref="WorkerOptions.PipelinedRecording"/>); on by default.</summary>
    public bool PipelinedRecording { get; init; } = true;

    public AttemptOutcome Run(TrialClaim claim, string worker, int slot, Func<StopReason> stopRequested, CancellationToken stop)
    {
        using var trialSpan = ExperimentsTelemetry.Source.StartActivity("trial", ActivityKind.Consumer, ExperimentsTelemetry.ParentFrom(claim.TraceParent));
        var hyper = TrialHyperparameters.FromJson(claim.HyperparametersJson);
        trialSpan?.SetTag("experiments.sweep.id", claim.SweepId).SetTag("experiments.trial.id", claim.TrialId)
            .SetTag("experiments.trial.label", claim.Label).SetTag("experiments.trial.attempt", claim.Attempt)
            .SetTag("experiments.architecture", claim.Architecture).SetTag("experiments.dataset", claim.Dataset)
            .SetTag("experiments.lr", hyper.LearningRate).SetTag("experiments.weight_decay", hyper.WeightDecay)
            .SetTag("experiments.lr_decay", hyper.LrDecay).SetTag("experiments.optimizer", hyper.Optimizer)
            .SetTag("experiments.batch_size", hyper.BatchSize).SetTag("experiments.worker", worker);
        ExperimentsTelemetry.QueuedToRunning.Record((claim.StartedAt - claim.QueuedAt).TotalSeconds);

        var architecture = ArchitectureReader.Parse(claim.ArchitectureSpec, $"trial {claim.TrialId}", claim.Architecture);
        var data = LoadData(claim.Dataset, hyper);
        store.RecordTrainingContextAsync(claim.Owner, RecordedTrial.ContextOf(data), stop).GetAwaiter().GetResult();
        var plan = ShapeInference.Plan(architecture, data.Train.SampleShape);
        var settings = TrainingSettings.For(hyper, claim.Seed, slots.ThreadsPerSlot);
        var device = slots.DeviceFor(slot);
        trialSpan?.SetTag("experiments.device", device.ToString());

        using var model = Model.Create(plan, settings.Seed, device);
        var latest = (int)store.LatestSnapshotEpochAsync(claim.TrialId, stop).GetAwaiter().GetResult();
        ResumePoint? resume = latest >= 0
            ? Snapshots.Restore(model, latest, store.ReadSnapshotAsync(claim.TrialId, latest, stop).GetAwaiter().GetResult())
            : null;
        trialSpan?.SetTag("experiments.trial.resumed_after_epoch", latest);
        progress.Started(claim, settings.Epochs, Math.Max(latest, 0));
        if (latest >= settings.Epochs) return new AttemptOutcome(TrialStatus.Completed, null);

        var observer = new SweepObserver(claim, progress, claim.Rules.EarlyStopping ? coordination : null, stop);
        // Pipelined: epoch e is written while e + 1 trains, and the coordinator judges e once it has committed.
        var recorder = new TrialRecorder(store, claim.Owner, stop, claim.Rules.Snapshots)
        {
            Pipelined = PipelinedRecording,
            Committed = observer.OnEpochCommitted,
            StopWriting = () => observer.StoppedEarly is not null,
        };
        using var stopTraining = CancellationTokenSource.CreateLinkedTokenSource(stop, recorder.WriteFailed, observer.StopTraining);
        // The trial is marked ended (by the caller) only after its last epoch committed; a refused write throws here.
        var result = recorder.Record(() =>
            new Trainer(settings).Run(model, data, new CompositeObserver(recorder, observer), stopTraining.Token, resume));

        var outcome = result.Outcome switch
        {
            // An epoch trained before the previous one's stop verdict came is not written, and the trial stopped early.
            TrainingOutcome.Completed when !recorder.StoppedWriting => new AttemptOutcome(TrialStatus.Completed, null),
            TrainingOutcome.Diverged when !recorder.StoppedWriting => new AttemptOutcome(TrialStatus.Diverged, result.Message),
            _ when observer.StoppedEarly is { } reason => new AttemptOutcome(TrialStatus.StoppedEarly, reason),
            _ => stopRequested() switch
            {
                StopReason.CancelledByUser => new AttemptOutcome(TrialStatus.Cancelled, "cancelled by the user: " + result.Message),
                _ => new AttemptOutcome(TrialStatus.Failed, $"interrupted: worker {worker} stopped ({result.Message})"),
            },
        };
        trialSpan?.SetTag("experiments.trial.status", outcome.Status.ToText());
        if (outcome.Status is TrialStatus.Failed or TrialStatus.Diverged) trialSpan?.SetStatus(ActivityStatusCode.Error, outcome.Message);
        return outcome;
    }

    /// <summary>
    /// The trial's data from this worker's cache. The sweep was validated against its dataset, so data that cannot be
    /// loaded here (deleted, corrupt, not fetchable from this machine) is this worker's fault, not the trial's.
    /// </summary>
    private DatasetSplits LoadData(string dataset, TrialHyperparameters hyper)
    {
        try
        {
            return datasets.Get(dataset, hyper.ValSplit, hyper.Limit ?? 0);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new WorkerEnvironmentException($"the {dataset} data could not be loaded on {BuildInfo.Host}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Epoch spans and metrics, progress, and the coordinator's verdict after each trained epoch (<paramref name="judge"/>
    /// is null when the sweep does not stop trials early).
    /// </summary>
    private sealed class SweepObserver(TrialClaim claim, ITrialProgress progress, ISweepCoordination? judge, CancellationToken stop)
        : ITrainingObserver
    {
        private readonly CancellationTokenSource _stopTraining = new();
        private Activity? _epochSpan;
        private volatile string? _stoppedEarly;

        public string? StoppedEarly => _stoppedEarly;

        /// <summary>Cancelled when the coordinator stops the trial early.</summary>
        public CancellationToken StopTraining => _stopTraining.Token;

        public void OnEpochStarted(int epoch, long totalBatches)
        {
            _epochSpan = ExperimentsTelemetry.Source.StartActivity("epoch");
            _epochSpan?.SetTag("experiments.trial.id", claim.TrialId).SetTag("experiments.epoch", epoch);
        }

        public void OnBatches(BatchProgress batches) => progress.Batches(claim.TrialId, batches);

        public void OnEpochCompleted(EpochMetrics metrics, Model model, Engine.Optimizer optimizer)
        {
            if (metrics.Epoch > 0)
            {
                _epochSpan?.SetTag("experiments.train_loss", metrics.Train?.Loss).SetTag("experiments.val_loss", metrics.Validation?.Loss)
                    .SetTag("experiments.val_accuracy", metrics.Validation?.Accuracy).SetTag("experiments.test_accuracy", metrics.Test?.Accuracy)
                    .SetTag("experiments.images_per_second", metrics.ImagesPerSecond);
                _epochSpan?.Dispose();
                _epochSpan = null;
                ExperimentsTelemetry.EpochsCompleted.Add(1);
                ExperimentsTelemetry.EpochDuration.Record(metrics.Seconds);
                ExperimentsTelemetry.ImagesPerSecond.Record(metrics.ImagesPerSecond);
            }
        }

        /// <summary>
        /// After the recorder committed the epoch (on its writer's thread), so the coordinator's histories include it and
        /// progress reports only recorded epochs.
        /// </summary>
        public void OnEpochCommitted(EpochMetrics metrics)
        {
            progress.EpochCompleted(claim.TrialId, metrics);
            if (metrics.Epoch == 0 || metrics.Diverged || judge is null || claim.SweepId is not { } sweepId) return;

            EpochVerdict decision;
            try
            {
                decision = judge.EpochRecordedAsync(new EpochReport(sweepId, claim.TrialId, claim.Attempt, metrics.Epoch), stop).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // No coordinator to judge this epoch (it died; a new one takes over the sweep): train on, since
                // stopping early only saves time, and failing the attempt would run the trial again.
                return;
            }
            if (!decision.Stop) return;
            _stoppedEarly = decision.Reason;
            _stopTraining.Cancel();
        }
    }
}
