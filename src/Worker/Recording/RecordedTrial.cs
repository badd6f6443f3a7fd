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
    public static async Task<(long TrialId, TrainingResult Result)> RunAsync(
        ResultsStore store, ArchitecturePlan plan, string dataset, DatasetSplits data, TrainingSettings settings, double validationFraction,
        Device device, ITrainingObserver? display = null, CancellationToken cancellation = default)
    {
        var trialId = await store.CreateTrialAsync(Definition(plan, dataset, settings, validationFraction), cancellation);
        await store.MarkRunningAsync(trialId, Environment.MachineName + "/" + Environment.ProcessId, cancellation);
        try
        {
            using var model = Model.Create(plan, settings.Seed, device);
            var recorder = new TrialRecorder(store, trialId, cancellation);
            var observer = display is null ? (ITrainingObserver)recorder : new CompositeObserver(display, recorder);
            var result = new Trainer(settings).Run(model, data, observer, cancellation);
            await store.FinishTrialAsync(trialId, Status(result.Outcome), result.Message, CancellationToken.None);
            return (trialId, result);
        }
        catch (Exception e)
        {
            await store.FinishTrialAsync(trialId, TrialStatus.Failed, e.Message, CancellationToken.None);
            throw;
        }
    }

    public static TrialDefinition Definition(ArchitecturePlan plan, string dataset, TrainingSettings settings, double validationFraction)
    {
        var hyperparameters = settings.ToHyperparameters(validationFraction, plan.Input).ToJson();
        return new TrialDefinition(null, plan.Architecture.Name, ArchitectureWriter.ToJson(plan.PlannedArchitecture), dataset, hyperparameters, (long)settings.Seed);
    }

    private static TrialStatus Status(TrainingOutcome outcome) => outcome switch
    {
        TrainingOutcome.Completed => TrialStatus.Completed,
        TrainingOutcome.Diverged => TrialStatus.Diverged,
        _ => TrialStatus.Cancelled,
    };
}
