using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Training;

namespace Experiments.Worker.Recording;

/// <summary>
/// One trial trained in this process and recorded in the results store: the trial row is created, marked running,
/// every epoch is written as it completes, and the row ends completed, diverged, cancelled or failed (with the error).
/// </summary>
public static class RecordedTrial
{
    /// <param name="limit">The limit on training images that <paramref name="data"/> was loaded with (0: all), recorded with the trial.</param>
    /// <param name="snapshots">Which epochs keep their weights; every epoch when null.</param>
    public static async Task<(long TrialId, TrainingResult Result)> RunAsync(
        ResultsStore store, ArchitecturePlan plan, string dataset, DatasetSplits data, TrainingSettings settings, double validationFraction,
        Device device, ITrainingObserver? display = null, CancellationToken cancellation = default, int limit = 0, SnapshotPolicy? snapshots = null)
    {
        var trialId = await store.CreateTrialAsync(Definition(plan, dataset, settings, validationFraction, limit), cancellation);
        var attempt = await store.MarkRunningAsync(trialId, Environment.MachineName + "/" + Environment.ProcessId, cancellation);
        await store.RecordTrainingContextAsync(attempt, ContextOf(data), cancellation);
        try
        {
            using var model = Model.Create(plan, settings.Seed, device);
            // Added on the writer's thread; read only once Record has settled the last write.
            var committed = new List<EpochMetrics>();
            var recorder = new TrialRecorder(store, attempt, cancellation, snapshots) { Pipelined = true, Committed = committed.Add };
            var observer = display is null ? (ITrainingObserver)recorder : new CompositeObserver(display, recorder);
            using var stopTraining = CancellationTokenSource.CreateLinkedTokenSource(cancellation, recorder.WriteFailed);
            // The last epoch's write commits before the trial is marked ended; a failed write ends it as that failure.
            TrainingResult result;
            try
            {
                result = recorder.Record(() => new Trainer(settings).Run(model, data, observer, stopTraining.Token));
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                // Cancelled while an epoch's write was in flight, found either after training stopped or while the next
                // epoch's hand-off waited for it: that epoch is not recorded, the committed ones are.
                var unrecorded = committed.Count > 0 ? committed[^1].Epoch + 1 : settings.EvaluateBeforeTraining ? 0 : 1;
                result = new TrainingResult(TrainingOutcome.Cancelled, committed, $"cancelled while recording epoch {unrecorded}");
            }
            await store.FinishTrialAsync(attempt, Status(result.Outcome), result.Message, CancellationToken.None);
            return (trialId, result);
        }
        catch (Exception e) when (e is not TrialFencedException)
        {
            await store.FinishTrialAsync(attempt, TrialStatus.Failed, e.Message, CancellationToken.None);
            throw;
        }
    }

    public static TrialDefinition Definition(ArchitecturePlan plan, string dataset, TrainingSettings settings, double validationFraction, int limit = 0)
    {
        var hyperparameters = settings.ToHyperparameters(validationFraction, plan.Input, limit).ToJson();
        return new TrialDefinition(null, plan.Architecture.Name, ArchitectureWriter.ToJson(plan.PlannedArchitecture), dataset, hyperparameters, (long)settings.Seed);
    }

    /// <summary>What an attempt trains on (the sizes of the splits it was given) and by (this build's commit and host).</summary>
    public static TrainingContext ContextOf(DatasetSplits data) =>
        new(data.Train.Count, data.Validation.Count, data.Test.Count, Contracts.BuildInfo.CodeVersion, Contracts.BuildInfo.Host);

    private static TrialStatus Status(TrainingOutcome outcome) => outcome switch
    {
        TrainingOutcome.Completed => TrialStatus.Completed,
        TrainingOutcome.Diverged => TrialStatus.Diverged,
        _ => TrialStatus.Cancelled,
    };
}
